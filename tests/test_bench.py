import numpy as np
import pytest

from tests.images import photo
from watermark.app import bench

pytestmark = pytest.mark.networks


def test_bench_records_every_photo_and_attack(watermarker):
    photos = [("a", photo(160, 200, seed=1)), ("b", photo(200, 160, seed=2))]
    planes = [np.random.default_rng(0).integers(0, 2, (32, 32))]
    records = bench.run(photos, planes, ["identity", "jpeg:50", "crop:0.5"], watermarker)
    assert len(records) == 6
    assert {r.image for r in records} == {"a", "b"}
    for record in records:
        assert 0 <= record.bit_accuracy <= 1 and 0 <= record.confidence <= 1
        assert record.psnr > 30 and 0 < record.ssim <= 1 and record.embed_seconds > 0
    rows = bench.summarize(records)
    assert [row["attack"] for row in rows] == ["identity", "jpeg:50", "crop:0.5"]
    assert all(row["images"] == 2 for row in rows)
    table = bench.markdown_table(rows)
    assert table.count("\n") == 4 and "jpeg:50" in table


def test_bench_command_writes_the_report(tmp_path, mark_path):
    from click.testing import CliRunner
    from PIL import Image

    from cli import main

    for seed in (1, 2):
        Image.fromarray(photo(160, 200, seed=seed)).save(tmp_path / f"p{seed}.png")
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        [
            "bench",
            str(tmp_path / "p1.png"),
            str(tmp_path / "p2.png"),
            "--mark",
            str(mark_path),
            "--attacks",
            "identity,jpeg:50,crop:0.5",
            "--strength",
            "0.8,auto",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("| jpeg:50 |") == 2
    assert "| jpeg:50 | 0.8 |" in result.output and "| jpeg:50 | auto (median " in result.output
    for name in ("results.csv", "results.json", "accuracy.png", "tradeoff.png", "report.md"):
        assert (out / name).stat().st_size > 0
    assert (out / "results.csv").read_text().count("\n") == 1 + 2 * 3 * 2


def test_bench_rejects_a_strength_it_cannot_use(tmp_path):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["bench", str(tmp_path), "--strength", "1,strong"])
    assert result.exit_code == 2 and "strong" in result.output


def test_bench_rejects_unknown_attacks(tmp_path, mark_path):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["bench", str(tmp_path), "--attacks", "sharpen"])
    assert result.exit_code == 2 and "unknown attack" in result.output


def test_attack_command(tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from cli import main

    Image.fromarray(photo(160, 200)).save(tmp_path / "p.png")
    result = CliRunner().invoke(
        main, ["attack", str(tmp_path / "p.png"), "crop:0.25", "-o", str(tmp_path / "c.png")]
    )
    assert result.exit_code == 0
    assert Image.open(tmp_path / "c.png").size == (100, 80)


def test_attack_with_a_parameter_the_filter_refuses(tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from cli import main

    Image.fromarray(photo(160, 200)).save(tmp_path / "p.png")
    result = CliRunner().invoke(
        main, ["attack", str(tmp_path / "p.png"), "median:4", "-o", str(tmp_path / "m.png")]
    )
    assert result.exit_code == 2 and "median:4" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "m.png").exists()
