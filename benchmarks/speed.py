"""End-to-end speed and memory of the `wm` command, start-up included.

Usage: python benchmarks/speed.py [--runs 3] [--out benchmarks/results]

Makes a 12-megapixel JPEG and a 50-megapixel JPEG from the bundled sample (upscaled), then
times `wm embed` and `wm extract` as a user runs them (a new process each time) and records
the peak resident memory of each process. Writes DIR/speed.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import cv2

from watermark.app.io import Picture, read_image, write_image
from watermark.nets.runtime import assets_dir

SIZES = {"12 MP": (4384, 2740), "50 MP": (8960, 5600)}


def timed(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in GiB) of one run of `command` in a fresh process."""
    started = time.perf_counter()
    pid = subprocess.Popen(command, stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    wm = shutil.which("wm") or "wm"
    sample = read_image(assets_dir() / "sample.jpg").pixels
    lines = ["| photo | command | median s | peak memory GiB |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for label, (width, height) in SIZES.items():
            photo = Path(folder) / f"photo{width}.jpg"
            big = cv2.resize(sample, (width, height), interpolation=cv2.INTER_CUBIC)
            write_image(photo, Picture(big), quality=90)
            del big
            marked = photo.with_name(f"photo{width}.wm.jpg")
            for name, command in (
                (
                    "embed",
                    [
                        wm,
                        "embed",
                        str(photo),
                        str(assets_dir() / "mark.png"),
                        "-o",
                        str(marked),
                        "-f",
                    ],
                ),
                (
                    "extract",
                    [wm, "extract", str(marked), "-o", str(photo.with_suffix(".png")), "-f"],
                ),
            ):
                runs = [timed(command) for _ in range(args.runs)]
                seconds = statistics.median(r[0] for r in runs)
                memory = max(r[1] for r in runs)
                lines.append(
                    f"| {label} ({width}×{height}) | wm {name} | {seconds:.2f} | {memory:.2f} |"
                )
                print(lines[-1], flush=True)
    table = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.md").write_text(
        f"`wm` end to end (process start, TensorFlow-free LiteRT path, decode, embed or extract, "
        f"encode), median of {args.runs} runs, {os.cpu_count()} cores\n\n{table}\n"
    )
    print(table)


if __name__ == "__main__":
    main()
