"""The README picture: original, marked, amplified difference, recovered mark.

Usage: python benchmarks/figure.py [--out assets/figure.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from watermark import Watermarker
from watermark.app.files import plane_picture
from watermark.app.io import Picture, read_image, write_image
from watermark.nets.runtime import assets_dir

GAIN = 20  # the difference is amplified 20× around mid-grey to be visible at all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("assets/figure.png"))
    parser.add_argument("--weights", type=Path, default=None)
    args = parser.parse_args()
    photo = read_image(assets_dir() / "sample.jpg").pixels
    mark = read_image(assets_dir() / "mark.png").rgba
    watermarker = Watermarker(args.weights)
    marked = watermarker.embed(photo, mark)
    difference = np.clip(128 + GAIN * (marked.astype(np.int16) - photo), 0, 255).astype(np.uint8)
    height = 300
    width = round(photo.shape[1] * height / photo.shape[0])
    panels = [
        cv2.resize(p, (width, height), interpolation=cv2.INTER_AREA)
        for p in (photo, marked, difference)
    ]
    recovered = plane_picture(watermarker.read(marked).bits, height)
    panels.append(np.repeat(recovered[..., None], 3, axis=2))
    gap = np.full((height, 8, 3), 255, np.uint8)
    row = np.hstack([part for panel in panels for part in (panel, gap)][:-1])
    write_image(args.out, Picture(row), force=True)
    print(args.out)


if __name__ == "__main__":
    main()
