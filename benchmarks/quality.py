"""Quality and robustness of the shipped model on held-out photos, 1920 px long side.

Usage: python benchmarks/quality.py [--photos data/photos] [--strength 1.0] [--out DIR]

Photos: those named in TrainConfig.validation_photos (never trained on), from the folder that
scripts/fetch_photos.sh fills. Marks: a random plane per photo, half ones (a logo with few dark
pixels would flatter bit accuracy). Writes DIR/quality.md and DIR/quality.json.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from watermark import Watermarker, __version__
from watermark.app import bench
from watermark.app.io import load_photo
from watermark.config import TRAIN
from watermark.training.data import split_photos

ATTACKS = (
    "identity",
    "jpeg:75",
    "jpeg:50",
    "noise:5",
    "blur:1",
    "brightness:1.3",
    "jpeg:90",
    "jpeg:30",
    "webp:75",
    "resize:0.5",
    "resize-back:0.5",
    "social",
    "contrast:1.5",
    "saturation:1.5",
    "grayscale",
    "crop:0.5",
    "rotate:2",
)


def load_photos(folder: Path, long_side: int) -> list[tuple[str, np.ndarray]]:
    _, validation = split_photos(folder, TRAIN)
    photos = []
    for path in validation:
        photos.append((path.name, bench.fit_long_side(load_photo(path), long_side)))
    return photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--long-side", type=int, default=1920)
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated specs")
    args = parser.parse_args()
    attack_specs = args.attacks.split(",")

    photos = load_photos(args.photos, args.long_side)
    rng = np.random.default_rng(0)
    planes = [rng.integers(0, 2, (32, 32)) for _ in photos]
    watermarker = Watermarker(args.weights)
    watermarker.embed_plane(photos[0][1], planes[0])  # load the networks before timing
    records = bench.run(photos, planes, attack_specs, watermarker, args.strength, len(photos))
    rows = bench.summarize(records)
    embed_s = np.median([r.embed_seconds for r in records])
    extract_s = np.median([r.extract_seconds for r in records if r.attack == "identity"])
    header = (
        f"wm {__version__}, {len(photos)} held-out photos at {args.long_side} px long side, "
        f"strength {args.strength:g}, random 32×32 planes; {platform.processor() or 'CPU'}, "
        f"{platform.python_version()}\n\nmedian embed {embed_s:.2f} s, "
        f"median extract {extract_s:.2f} s per photo (after loading)\n"
    )
    table = bench.markdown_table(rows)
    print(header + "\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.md").write_text(header + "\n" + table + "\n")
    result = {"summary": rows, "records": bench.as_dicts(records)}
    (args.out / "quality.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
