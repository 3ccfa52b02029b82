import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import watermark.app
from cli import main
from tests.images import photo
from tests.runs import assert_a_killed_run_resumes

pytestmark = pytest.mark.networks

ROOT = Path(__file__).resolve().parent.parent


def test_mixed_folder(messy: Path, mark_path: Path, tmp_path: Path):
    out, log = tmp_path / "out", tmp_path / "log.jsonl"
    result = CliRunner().invoke(
        main, ["batch", "embed", str(messy), str(out), str(mark_path), "-w", "1", "--log", str(log)]
    )
    assert result.exit_code == 1, result.output
    assert "done 3, skipped 0 (already there), failed 3, not images 1" in result.output
    for name in ("text.jpg", "zero.png", "corrupt.jpg"):
        assert f"{name}" in result.output
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["a.jpg", "sub/b.png", "sub/c.png"]
    assert Image.open(out / "sub" / "c.png").mode == "RGBA"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["status"] for e in entries) == ["done"] * 3 + ["failed"] * 3
    assert all(e["psnr"] > 30 for e in entries if e["status"] == "done")

    again = CliRunner().invoke(main, ["batch", "embed", str(messy), str(out), str(mark_path)])
    assert "done 0, skipped 3" in again.output


def test_extract_and_verify_batches(messy: Path, mark_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    CliRunner().invoke(main, ["batch", "embed", str(messy), str(out), str(mark_path), "-w", "1"])
    result = CliRunner().invoke(main, ["batch", "extract", str(out), str(tmp_path / "marks")])
    assert result.exit_code == 0
    assert (tmp_path / "marks" / "sub" / "b.mark.png").exists()
    table = tmp_path / "v.csv"
    result = CliRunner().invoke(
        main, ["batch", "verify", str(out), str(mark_path), "--csv", str(table)]
    )
    assert result.exit_code == 0 and "mark present in 3" in result.output
    assert table.read_text().count("True") == 3
    verify = ["batch", "verify", str(out), str(mark_path), "--csv", str(table)]
    before = table.read_text()
    again = CliRunner().invoke(main, verify)
    assert again.exit_code == 2 and "already exists (use --overwrite" in again.output
    assert table.read_text() == before  # not overwritten unless asked
    assert CliRunner().invoke(main, [*verify, "--overwrite"]).exit_code == 0


def test_output_inside_source_is_refused(messy: Path, mark_path: Path):
    result = CliRunner().invoke(
        main, ["batch", "embed", str(messy), str(messy / "out"), str(mark_path)]
    )
    assert result.exit_code == 2 and "inside the source folder" in result.output
    assert not (messy / "out").exists()


def test_killed_run_resumes_to_exactly_one_valid_output_each(tmp_path: Path, mark_path: Path):
    assert_a_killed_run_resumes(tmp_path, mark_path, 12, (256, 320), ["-w", "1"], wait=60)


def test_temporaries_of_a_killed_run_are_removed(messy: Path, mark_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    stale = [out / ".k3j_x9q2.tmp.a.jpg", out / "sub" / ".0a1b2c3d.tmp.b.png"]
    for path in stale:
        path.write_bytes(b"half a file")
    (out / ".notes.tmp").write_text("the user's own")
    result = CliRunner().invoke(main, ["batch", "embed", str(messy), str(out), str(mark_path)])
    assert result.exit_code == 1  # the junk in `messy` fails
    assert not any(path.exists() for path in stale)
    assert (out / ".notes.tmp").read_text() == "the user's own"


def test_name_collisions_fail_instead_of_overwriting(tmp_path: Path, mark_path: Path):
    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    Image.fromarray(photo(160, 160, seed=1)).save(source / "a.jpg")
    Image.fromarray(photo(160, 160, seed=2)).save(source / "a.png")
    Image.fromarray(photo(160, 160, seed=3)).save(source / "IMG_0001", format="PNG")  # no suffix
    result = CliRunner().invoke(
        main,
        ["batch", "embed", str(source), str(out), str(mark_path), "--format", "png", "-w", "1"],
    )
    assert result.exit_code == 1 and "already taken by" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["IMG_0001.png", "a.png"]
    result = CliRunner().invoke(
        main, ["batch", "embed", str(source), str(tmp_path / "o2"), str(mark_path), "-w", "1"]
    )
    assert (tmp_path / "o2" / "IMG_0001.png").exists()  # found by content, suffix by content


def test_ray_engine_without_ray_says_how_to_install(messy, mark_path, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as without the extra
    monkeypatch.delitem(sys.modules, "watermark.app.ray_engine", raising=False)
    monkeypatch.delattr(watermark.app, "ray_engine", raising=False)  # imported by another test
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["batch", "embed", str(messy), str(out), str(mark_path), "--engine", "ray"]
    )
    assert result.exit_code == 2
    assert result.output == 'wm: error: --engine ray needs Ray: pip install "wm[ray]"\n'
    assert not out.exists()


@pytest.mark.parametrize("engine", [[], ["--engine", "local"]])
def test_an_address_needs_the_ray_engine(messy, mark_path, tmp_path, engine):
    command = ["batch", "verify", str(messy), str(mark_path), "--address", "auto", *engine]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2 and "--address needs --engine ray" in result.output
