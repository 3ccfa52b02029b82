import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from tests.images import photo

pytestmark = pytest.mark.networks

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_embed_then_extract_default_names(photo_path: Path, mark_path: Path):
    before = digest(photo_path)
    result = run("embed", photo_path, mark_path)
    assert result.exit_code == 0, result.output
    marked = photo_path.with_name("photo.wm.png")
    assert marked.exists() and "PSNR" in result.output
    assert digest(photo_path) == before  # input untouched
    result = run("extract", marked)
    assert result.exit_code == 0, result.output
    recovered = Image.open(photo_path.with_name("photo.wm.mark.png"))
    assert recovered.size == (256, 256) and "confidence" in result.output


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif", ".bmp"])
def test_output_format_follows_input_or_suffix(tmp_path: Path, mark_path: Path, suffix: str):
    source = tmp_path / f"in{suffix}"
    Image.fromarray(photo(160, 192)).save(source)
    assert run("embed", source, mark_path).exit_code == 0
    assert Image.open(tmp_path / f"in.wm{suffix}").format == Image.open(source).format
    assert run("embed", source, mark_path, "-o", tmp_path / "x.webp").exit_code == 0
    assert Image.open(tmp_path / "x.webp").format == "WEBP"


def test_rgba_grey_and_16_bit_inputs(tmp_path: Path, mark_path: Path):
    rgba = np.dstack([photo(160, 160), np.full((160, 160), 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(photo(160, 160)[..., 0]).save(tmp_path / "grey.png")
    Image.fromarray(photo(160, 160)[..., 0].astype(np.uint16) * 257).save(tmp_path / "deep.png")
    for name, mode in (("rgba", "RGBA"), ("grey", "L"), ("deep", "I;16")):
        result = run("embed", tmp_path / f"{name}.png", mark_path)
        assert result.exit_code == 0, result.output
        assert Image.open(tmp_path / f"{name}.wm.png").mode == mode
    assert (np.asarray(Image.open(tmp_path / "rgba.wm.png"))[..., 3] == 200).all()


def test_raw_plane_output(photo_path: Path, mark_path: Path, tmp_path: Path):
    run("embed", photo_path, mark_path, "-o", tmp_path / "m.png")
    result = run("extract", tmp_path / "m.png", "-o", tmp_path / "plane.png", "--size", "32")
    assert result.exit_code == 0
    plane = np.asarray(Image.open(tmp_path / "plane.png"))
    assert plane.shape == (32, 32) and set(np.unique(plane)) <= {0, 255}


def test_no_overwrite_without_force(photo_path: Path, mark_path: Path, tmp_path: Path):
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    result = run("embed", photo_path, mark_path, "-o", out)
    assert result.exit_code == 2 and "already exists" in result.output
    assert out.read_bytes() == b"keep me"
    assert run("embed", photo_path, mark_path, "-o", out, "--force").exit_code == 0
    assert Image.open(out).size == (320, 256)


def test_output_cannot_be_the_input(photo_path: Path, mark_path: Path):
    before = digest(photo_path)
    result = run("embed", photo_path, mark_path, "-o", photo_path, "--force")
    assert result.exit_code == 2 and "is the input" in result.output
    assert digest(photo_path) == before


def _bad_inputs(tmp_path: Path) -> dict:
    (tmp_path / "text.jpg").write_text("not really a JPEG")
    (tmp_path / "empty.png").write_bytes(b"")
    whole = tmp_path / "whole.jpg"
    Image.fromarray(photo(200, 200)).save(whole)
    (tmp_path / "truncated.jpg").write_bytes(whole.read_bytes()[:600])
    Image.fromarray(photo(30, 300)).save(tmp_path / "small.png")
    (tmp_path / "folder.png").mkdir()
    return {
        "missing.png": "no such file",
        "text.jpg": "not an image",
        "empty.png": "not an image",
        "truncated.jpg": "truncated or corrupt",
        "small.png": "too small",
        "folder.png": "is a folder",
    }


@pytest.mark.parametrize("command", ["embed", "extract"])
def test_bad_images_fail_with_one_line_and_exit_2(tmp_path: Path, mark_path: Path, command: str):
    for name, problem in _bad_inputs(tmp_path).items():
        before = sorted(p.name for p in tmp_path.iterdir())
        args = [tmp_path / name, mark_path] if command == "embed" else [tmp_path / name]
        result = run(command, *args)
        assert result.exit_code == 2, (name, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and problem in lines[0] and name in lines[0], lines
        assert "Traceback" not in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_bad_marks(tmp_path: Path, photo_path: Path):
    Image.fromarray(np.full((40, 40, 3), 255, np.uint8)).save(tmp_path / "white.png")
    result = run("embed", photo_path, tmp_path / "white.png")
    assert result.exit_code == 2 and "white.png" in result.output and "one colour" in result.output
    result = run("embed", photo_path, tmp_path / "none.png")
    assert result.exit_code == 2 and "no such file" in result.output
    assert not photo_path.with_name("photo.wm.png").exists()


def test_missing_output_folder(photo_path: Path, mark_path: Path, tmp_path: Path):
    result = run("embed", photo_path, mark_path, "-o", tmp_path / "nope" / "o.png")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_help_teaches_and_does_not_import_tensorflow():
    code = (
        "import sys; from click.testing import CliRunner; from cli import main;"
        "r = CliRunner().invoke(main, ['embed', '--help']); print(r.output);"
        "print('TF' if 'tensorflow' in sys.modules else 'no TF')"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "Examples:" in out.stdout and "--strength" in out.stdout
    assert out.stdout.strip().endswith("no TF")


def test_console_script_exit_codes(photo_path: Path):
    """The real `wm` entry point: exit 2 and one line on stderr, no traceback."""
    out = subprocess.run(
        [sys.executable, "-m", "cli", "extract", str(photo_path.with_name("absent.png"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "no such file" in out.stderr


def test_extract_says_a_mirrored_copy_was_read_the_right_way_round(tmp_path: Path, mark_path: Path):
    Image.fromarray(photo(384, 512, seed=5)).save(tmp_path / "in.png")
    assert run("embed", tmp_path / "in.png", mark_path).exit_code == 0
    marked = np.asarray(Image.open(tmp_path / "in.wm.png"))
    Image.fromarray(marked[:, ::-1]).save(tmp_path / "mirrored.png")
    result = run("extract", tmp_path / "mirrored.png")
    assert result.exit_code == 0, result.output
    assert "copy was mirrored" in result.output
    assert run("verify", tmp_path / "mirrored.png", mark_path).exit_code == 0


def test_extract_says_what_it_undid():
    from cli import describe
    from watermark.core.perspective import Perspective
    from watermark.core.search import Orientation
    from watermark.watermarker import Extraction

    plain = Extraction(np.ones((32, 32)), 0.9, np.ones((32, 32)))
    assert describe(plain) == "confidence 0.90"
    warped = Extraction(
        plain.plane,
        0.9,
        plain.whitened,
        (3, 4),
        None,
        Orientation(0, True),
        Perspective(np.eye(3)),
    )
    said = describe(warped)
    assert "perspective undone" in said and "off-centre crop" in said and "mirrored" in said
