"""The fuzz set: hostile and broken files given to every command, batch included.

Each bad file must give exit code 2 (1 in batch, where other files go on), one line naming the
file and the problem, no traceback, no output file, and the input unchanged. Odd but valid
files (16-bit, palette, CMYK, a corrupt EXIF block) must simply work.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from tests.images import photo

pytestmark = pytest.mark.networks


def _png(pixels: np.ndarray, mode: str | None = None) -> bytes:
    buffer = BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb() -> bytes:
    """A valid PNG header claiming 30000×30000 RGB (2.7 GB decoded) over a few bytes of data."""
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def _corrupt_exif() -> bytes:
    """A JPEG whose APP1 segment says Exif, then holds garbage."""
    body = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + bytes(range(40))
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return b"\xff\xd8" + segment + _jpeg(photo(160, 200, seed=4))[2:]


def _animated(fmt: str) -> bytes:
    frames = [Image.fromarray(photo(160, 160, seed=s)) for s in range(3)]
    buffer = BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _palette() -> bytes:
    buffer = BytesIO()
    Image.fromarray(photo(160, 200, seed=5)).quantize(64).save(buffer, format="PNG")
    return buffer.getvalue()


def _cmyk() -> bytes:
    buffer = BytesIO()
    Image.fromarray(photo(160, 200, seed=6)).convert("CMYK").save(buffer, format="JPEG")
    return buffer.getvalue()


def _grey16() -> bytes:
    grey = photo(160, 200, seed=7)[..., 0].astype(np.uint16) * 257
    return _png(grey)


BAD: dict[str, tuple[Callable[[], bytes | None], str]] = {
    "zero.png": (lambda: b"", "not an image"),
    "text.png": (lambda: b"hello, I am text\n", "not an image"),
    "cut.png": (lambda: _png(photo(160, 200))[:300], "truncated or corrupt"),
    "truncated.jpg": (lambda: _jpeg(photo(160, 200))[:700], "truncated or corrupt"),
    "bomb.png": (_bomb, "too large"),
    "one.png": (lambda: _png(photo(1, 1)), "too small"),
    "seven.png": (lambda: _png(photo(7, 7)), "too small"),
    "animated.gif": (lambda: _animated("GIF"), "animated"),
    "animated.webp": (lambda: _animated("WEBP"), "animated"),
    "folder.png": (lambda: None, "is a folder"),
}
ODD_BUT_VALID: dict[str, Callable[[], bytes]] = {
    "grey16.png": _grey16,
    "palette.png": _palette,
    "cmyk.jpg": _cmyk,
    "bad-exif.jpg": _corrupt_exif,
}
COMMANDS = ("embed", "extract", "verify")
# A batch walks into folders, and counts files that are not of its image types (GIF) as such.
BATCH_SKIPS = ("folder.png", "animated.gif")


def _make(folder: Path, name: str, content: Callable[[], bytes | None]) -> Path:
    path = folder / name
    data = content()
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    return path


def _state(folder: Path) -> dict[str, str]:
    """Every file under `folder` and its digest: what a command must leave as it was."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _args(command: str, image: Path, mark: Path) -> list[str]:
    return [command, str(image), str(mark)] if command != "extract" else [command, str(image)]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", list(BAD))
def test_bad_file_fails_cleanly(tmp_path: Path, mark_path: Path, command: str, name: str):
    content, problem = BAD[name]
    image = _make(tmp_path, name, content)
    before, names = _state(tmp_path), sorted(tmp_path.iterdir())
    result = CliRunner().invoke(main, _args(command, image, mark_path))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and problem in lines[0], lines
    assert "Traceback" not in result.output
    assert _state(tmp_path) == before and sorted(tmp_path.iterdir()) == names


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", list(ODD_BUT_VALID))
def test_odd_but_valid_file_works(tmp_path: Path, mark_path: Path, command: str, name: str):
    image = _make(tmp_path, name, ODD_BUT_VALID[name])
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    result = CliRunner().invoke(main, _args(command, image, mark_path))
    expected = {"embed": 0, "extract": 0, "verify": 1}[command]  # verify: it carries no mark
    assert result.exit_code == expected, result.output
    assert "Traceback" not in result.output
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before


def test_odd_files_keep_their_kind_through_embed(tmp_path: Path, mark_path: Path):
    grey16 = _make(tmp_path, "grey16.png", _grey16)
    assert CliRunner().invoke(main, ["embed", str(grey16), str(mark_path)]).exit_code == 0
    marked = np.asarray(Image.open(tmp_path / "grey16.wm.png"))
    assert marked.dtype == np.uint16 and marked.ndim == 2
    exif = _make(tmp_path, "bad-exif.jpg", _corrupt_exif)
    output = tmp_path / "e.jpg"
    result = CliRunner().invoke(main, ["embed", str(exif), str(mark_path), "-o", str(output)])
    assert result.exit_code == 0 and "EXIF block is corrupt" in result.output
    assert Image.open(output).size == (200, 160) and not Image.open(output).getexif()


@pytest.mark.parametrize(
    ("colour", "name"), [(255, "white.png"), (0, "black.png")], ids=["white", "black"]
)
@pytest.mark.parametrize("command", ["embed", "verify"])
def test_a_mark_of_one_colour_is_refused(
    tmp_path: Path, photo_path: Path, command: str, colour: int, name: str
):
    mark = tmp_path / name
    Image.fromarray(np.full((48, 48, 3), colour, np.uint8)).save(mark)
    result = CliRunner().invoke(main, [command, str(photo_path), str(mark)])
    assert result.exit_code == 2 and name in result.output and "one colour" in result.output
    assert not list(photo_path.parent.glob("*.wm.*"))


def test_unwritable_output_folder(tmp_path: Path, photo_path: Path, mark_path: Path, monkeypatch):
    """chmod cannot make a folder unwritable for root (CI), so the OS's answer is simulated."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("watermark.app.atomic.tempfile.mkstemp", refuse)
    target = tmp_path / "out.png"
    for args in (["embed", str(photo_path), str(mark_path)], ["extract", str(photo_path)]):
        result = CliRunner().invoke(main, [*args, "-o", str(target)])
        assert result.exit_code == 2 and "permission denied" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not target.exists()


@pytest.mark.parametrize("command", ["embed", "extract", "verify"])
def test_batch_reports_each_bad_file_and_goes_on(tmp_path: Path, mark_path: Path, command: str):
    source = tmp_path / "in"
    source.mkdir()
    bad = [name for name in BAD if name not in BATCH_SKIPS]
    for name in [*bad, "animated.gif"]:
        _make(source, name, BAD[name][0])
    for name, content in ODD_BUT_VALID.items():
        _make(source, name, content)
    before = _state(source)
    out = tmp_path / "out"
    args = {
        "embed": ["batch", "embed", str(source), str(out), str(mark_path)],
        "extract": ["batch", "extract", str(source), str(out)],
        "verify": ["batch", "verify", str(source), str(mark_path)],
    }[command]
    result = CliRunner().invoke(main, [*args, "-w", "1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name in bad:
        line = next(line for line in result.output.splitlines() if name in line)
        assert BAD[name][1] in line, line
    assert f"failed {len(bad)}, not images 1" in result.output
    assert _state(source) == before
    if command != "verify":
        written = {p.name.split(".")[0] for p in out.rglob("*") if p.is_file()}
        assert written == {name.split(".")[0] for name in ODD_BUT_VALID}


def test_a_log_that_cannot_be_written_is_one_line(tmp_path: Path, mark_path: Path):
    source = tmp_path / "src"
    source.mkdir()
    Image.fromarray(photo(160, 160, seed=1)).save(source / "a.png")
    log = tmp_path / "missing" / "log.jsonl"
    result = CliRunner().invoke(
        main, ["batch", "verify", str(source), str(mark_path), "--log", str(log)]
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert f"{log}: cannot write the log" in result.output


def test_attack_never_replaces_its_input(photo_path: Path):
    before = photo_path.read_bytes()
    result = CliRunner().invoke(
        main, ["attack", str(photo_path), "jpeg:50", "-o", str(photo_path), "-f"]
    )
    assert result.exit_code == 2 and "is the input" in result.output
    assert photo_path.read_bytes() == before
