"""Write the held-out photos (TrainConfig.validation_photos) at 1920 px as PNG, for `wm bench`.

Usage: python benchmarks/heldout.py [--photos data/photos] [--out data/heldout]
Then: wm bench data/heldout --random-marks 8 --out benchmarks/results/bench
"""

from __future__ import annotations

import argparse
from pathlib import Path

from watermark.app.bench import fit_long_side
from watermark.app.io import Picture, load_photo, write_image
from watermark.config import TRAIN
from watermark.training.data import split_photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--out", type=Path, default=Path("data/heldout"))
    parser.add_argument("--long-side", type=int, default=1920)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in split_photos(args.photos, TRAIN)[1]:
        photo = fit_long_side(load_photo(path), args.long_side)
        write_image(args.out / f"{path.stem}.png", Picture(photo), force=True)
        print(args.out / f"{path.stem}.png")


if __name__ == "__main__":
    main()
