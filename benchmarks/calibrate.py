"""What `ModelConfig.residual_gain` gives a target PSNR on *training* photos at 1920 px.

Usage: python benchmarks/calibrate.py [--target 42.35] [--weights DIR] [--photos data/photos]

Embeds at the weights' own gain (their `model.json`) on up to 12 training photos (the held-out
ones stay out of it), takes the median PSNR, and prints the gain that moves it to the target
(PSNR moves by -20·log10(gain)), to be written into that `model.json`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from watermark import Watermarker
from watermark.app.bench import fit_long_side
from watermark.app.io import load_photo
from watermark.config import TRAIN
from watermark.core.metrics import psnr
from watermark.training.data import split_photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # dB: the shipped networks' median at gain 1 (assets/TRAINING.md), so that runs compare
    # at the shipped visibility
    parser.add_argument("--target", type=float, default=42.35)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    args = parser.parse_args()
    training, _ = split_photos(args.photos, TRAIN)
    watermarker = Watermarker(args.weights)
    rng = np.random.default_rng(0)
    values = []
    for path in training[:: max(1, len(training) // 12)]:
        photo = fit_long_side(load_photo(path), 1920)
        marked = watermarker.embed_plane(photo, rng.integers(0, 2, (32, 32)))
        values.append(psnr(photo, marked))
    median = float(np.median(values))
    current = watermarker.config.residual_gain
    gain = current * 10 ** ((median - args.target) / 20)
    print(f"{len(values)} training photos: median PSNR {median:.2f} dB at gain {current}")
    print(f"residual_gain for {args.target} dB: {gain:.3f}")


if __name__ == "__main__":
    main()
