"""Throughput of `wm batch embed` on 200 photos at 1920 px, with 1 and with 2 workers.

Usage: python benchmarks/batch_speed.py [--photos data/photos] [--count 200] [--out DIR]

The 200 inputs are JPEG (quality 90) crops of the fetched photos at random places and scales,
1920 px on the long side, so no two files are the same. Writes DIR/batch.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from watermark.bench import fit_long_side, load_photo
from watermark.io import Picture, write_image
from watermark.runtime import assets_dir
from watermark.train import IMAGE_SUFFIXES


def make_inputs(photos: Path, folder: Path, count: int) -> None:
    sources = sorted(p for p in photos.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = load_photo(sources[index % len(sources)])
        height, width = pixels.shape[:2]
        keep = rng.uniform(0.6, 1.0)
        h, w = int(height * keep), int(width * keep)
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        photo = fit_long_side(pixels[top : top + h, left : left + w], 1920)
        write_image(folder / f"photo{index:03d}.jpg", Picture(photo), quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    wm = shutil.which("wm") or "wm"
    lines = ["| workers | seconds | images/s |", "|---|---|---|"]
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in"
        source.mkdir()
        make_inputs(args.photos, source, args.count)
        for workers in (1, 2):
            out = Path(folder) / f"out{workers}"
            started = time.perf_counter()
            command = [
                wm,
                "batch",
                "embed",
                str(source),
                str(out),
                str(assets_dir() / "mark.png"),
                "-w",
                str(workers),
            ]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - started
            rates[workers] = args.count / seconds
            lines.append(f"| {workers} | {seconds:.1f} | {rates[workers]:.2f} |")
            print(lines[-1], flush=True)
    report = (
        f"`wm batch embed` on {args.count} JPEG photos at 1920 px (quality 90 in, 95 out), "
        f"whole command timed, {os.cpu_count()} cores\n\n"
        + "\n".join(lines)
        + f"\n\nspeed-up with 2 workers: {rates[2] / rates[1]:.2f}×\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
