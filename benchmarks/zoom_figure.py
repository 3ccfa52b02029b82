"""The README's close look: the worst spot of three held-out photos at 3× zoom.

Usage: python benchmarks/zoom_figure.py [--photos data/heldout-broad] [--out assets/zoom.png]

For a photo with strong edges, one mostly flat and one textured (held out, at 1920 px, default
strength, the bundled logo): the 64×64 px around the 32×32 block that changed most, original
beside marked beside their difference amplified GAIN×, each enlarged 3× (nearest neighbour).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from watermark import Watermarker
from watermark.app.bench import fit_long_side
from watermark.app.io import Picture, load_photo, write_image
from watermark.core.metrics import block_errors
from watermark.nets.runtime import assets_dir

PHOTOS = {
    "edges": "lomiri16_Bridge_by_Sander_Klootwijk.jpg",
    "flat": "plasma_Grey.jpg",
    "texture": "plasma_OneStandsOut.jpg",
}
BLOCK, SPOT, ZOOM, GAIN = 32, 64, 3, 10


def worst_spot(photo: np.ndarray, marked: np.ndarray) -> tuple[int, int]:
    """(top, left) of the SPOT×SPOT px centred on the block that changed most."""
    errors = block_errors(photo, marked, BLOCK)
    row, col = np.unravel_index(int(np.argmax(errors)), errors.shape)
    top = int(np.clip(row * BLOCK + BLOCK // 2 - SPOT // 2, 0, photo.shape[0] - SPOT))
    left = int(np.clip(col * BLOCK + BLOCK // 2 - SPOT // 2, 0, photo.shape[1] - SPOT))
    return top, left


def row_of_panels(photo: np.ndarray, marked: np.ndarray) -> np.ndarray:
    top, left = worst_spot(photo, marked)
    crops = [image[top : top + SPOT, left : left + SPOT] for image in (photo, marked)]
    change = crops[1].astype(np.int16) - crops[0]
    crops.append(np.clip(128 + GAIN * change, 0, 255).astype(np.uint8))
    size = (SPOT * ZOOM, SPOT * ZOOM)
    panels = [cv2.resize(crop, size, interpolation=cv2.INTER_NEAREST) for crop in crops]
    gap = np.full((SPOT * ZOOM, 6, 3), 255, np.uint8)
    return np.hstack([panels[0], gap, panels[1], gap, panels[2]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/heldout-broad"))
    parser.add_argument("--out", type=Path, default=Path("assets/zoom.png"))
    args = parser.parse_args()
    watermarker = Watermarker()
    logo = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    rows = []
    for name in PHOTOS.values():
        photo = fit_long_side(load_photo(args.photos / name), 1920)
        rows.append(row_of_panels(photo, watermarker.embed_plane(photo, logo)))
    gap = np.full((6, rows[0].shape[1], 3), 255, np.uint8)
    figure = np.vstack([part for row in rows for part in (row, gap)][:-1])
    write_image(args.out, Picture(figure), force=True)
    print(f"wrote {args.out}: rows {', '.join(PHOTOS)}")


if __name__ == "__main__":
    main()
