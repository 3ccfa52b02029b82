"""The wheel carries the weights and the installed package finds them (not only in -e mode)."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_weights_and_finds_them(tmp_path: Path):
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        str(tmp_path),
        str(ROOT),
    ]
    subprocess.run(build, check=True, capture_output=True)
    wheel = next(tmp_path.glob("wm-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    shipped = ("embedder.tflite", "extractor.tflite", "embedder.keras", "model.json", "mark.png")
    for name in (*shipped, "sample.jpg"):
        assert (site / "watermark" / "assets" / name).exists(), name
    code = (
        "from watermark.nets.runtime import assets_dir; from watermark import Watermarker;"
        "print(Watermarker().config.extractor_channels); print(assets_dir())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    channels, folder = out.stdout.split()
    assert Path(folder) == site / "watermark" / "assets", out.stderr
    assert int(channels) == 48  # the shipped model.json, read from the installed package
