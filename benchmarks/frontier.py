"""SSIM against robustness: what networks pay in SSIM for the bits they keep after JPEG 50.

Usage: python benchmarks/frontier.py [--weights DIR ...] [--strengths 0.55 0.8 1.0 1.25]
                                     [--every 3] [--out benchmarks/results/training]

Issue 12 asks web-size photos for SSIM ≥ 0.98 and ≥ 95% of bits after JPEG 50 at once.
Strength trades one for the other along a curve that each set of networks has, so two sets
are compared by their curves, not at one strength (a calibration moves every point along it).
Each set of `--weights` (`assets` for the shipped) marks every `--every`-th web-size copy of
`every_photo.py` with the logo at each fixed strength; per strength, the medians of PSNR,
SSIM, bits clean and after JPEG 50, and the worst photo. Writes OUT/frontier.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from every_photo import add_photo_arguments, heldout_paths, images, invocation, median_and_worst
from tqdm import tqdm

from watermark import Watermarker
from watermark.app.io import load_photo
from watermark.core import attacks
from watermark.core.metrics import bit_accuracy, psnr, ssim
from watermark.nets.runtime import assets_dir

HEADER = (
    "| weights | strength | PSNR median | SSIM median (min) | bits clean median (worst) "
    "| JPEG 50 median (worst) |\n|---|---|---|---|---|---|"
)


def curve(weights: str, photos: list[np.ndarray], strengths: list[float]) -> list[str]:
    """One table row per strength for the networks in `weights`."""
    watermarker = Watermarker(None if weights == "assets" else Path(weights))
    plane = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    rows = []
    for strength in strengths:
        values = []
        for photo in tqdm(photos, desc=f"{weights} at {strength}"):
            marked = watermarker.mark(photo, plane, strength).pixels
            after_jpeg = attacks.apply(marked, "jpeg:50")
            values.append(
                (
                    psnr(photo, marked),
                    ssim(photo, marked),
                    bit_accuracy(plane, watermarker.read(marked).plane),
                    bit_accuracy(plane, watermarker.read(after_jpeg).plane),
                )
            )
        psnrs, ssims, clean, jpeg = np.array(values).T
        rows.append(
            f"| {weights} | {strength} | {np.median(psnrs):.2f} "
            f"| {median_and_worst(ssims, '.4f')} | {median_and_worst(clean, '.2%')} "
            f"| {median_and_worst(jpeg, '.2%')} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_photo_arguments(parser)
    parser.add_argument("--weights", nargs="+", default=["assets"])
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.55, 0.8, 1.0, 1.25])
    parser.add_argument("--every", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/training"))
    args = parser.parse_args()
    web = [photo for _, kind, photo in images(heldout_paths(args)) if kind == "web"]
    photos = web[:: args.every]
    lines = [f"{len(photos)} web-size held-out copies, the logo; `{invocation()}`", "", HEADER]
    for weights in args.weights:
        lines += curve(weights, photos, args.strengths)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "frontier.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
