"""Throughput of `wm batch embed` on 200 photos at 1920 px: 1 worker, 2 workers, 1 worker on 1 core.

Usage: python benchmarks/batch_speed.py [--photos data/photos] [--count 200] [--out DIR]

The 200 inputs are JPEG (quality 90) crops of the fetched photos at random places and scales,
1920 px on the long side, so no two files are the same. Writes DIR/batch.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from watermark.app.batch import images_under
from watermark.app.bench import fit_long_side
from watermark.app.io import Picture, load_photo, write_image
from watermark.nets.runtime import assets_dir, usable_cores


def make_inputs(photos: Path, folder: Path, count: int) -> None:
    sources = sorted(images_under(photos))
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
    taskset = shutil.which("taskset")
    runs = {"1 worker": ("1", []), "2 workers": ("2", [])}
    if taskset:  # one worker on one core: what the process pool scales from
        runs["1 worker, 1 core"] = ("1", [taskset, "-c", "0"])
    lines = ["| run | seconds | images/s |", "|---|---|---|"]
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in"
        source.mkdir()
        make_inputs(args.photos, source, args.count)
        for index, (name, (workers, prefix)) in enumerate(runs.items()):
            out = Path(folder) / f"out{index}"
            mark = str(assets_dir() / "mark.png")
            command = [*prefix, wm, "batch", "embed", str(source), str(out), mark, "-w", workers]
            started = time.perf_counter()
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - started
            rates[name] = args.count / seconds
            lines.append(f"| {name} | {seconds:.1f} | {rates[name]:.2f} |")
            print(lines[-1], flush=True)
    scaling = [f"2 workers over 1 worker: {rates['2 workers'] / rates['1 worker']:.2f}×"]
    if "1 worker, 1 core" in rates:
        ratio = rates["2 workers"] / rates["1 worker, 1 core"]
        scaling.append(f"2 workers on 2 cores over 1 worker on 1 core: {ratio:.2f}×")
    report = (
        f"`wm batch embed` on {args.count} JPEG photos at 1920 px (quality 90 in, 95 out), "
        f"whole command timed, {usable_cores()} cores. A single worker runs its network on "
        "all the cores it has.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "\n".join(f"- {line}" for line in scaling)
        + "\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
