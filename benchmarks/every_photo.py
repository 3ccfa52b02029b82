"""Every photo people have: visibility and robustness per class, on held-out photographs.

Usage: python benchmarks/every_photo.py [--photos data/heldout-broad] [--training data/photos]
                                        [--strength 1.0] [--weights DIR]
                                        [--out benchmarks/results]

Photos: those of scripts/fetch_heldout.sh (two packages never trained on) and the held-out
photos of scripts/fetch_photos.sh (TrainConfig.validation_photos). Classes:
- `web`: 300–800 px, as most of the web is: each held-out photo downscaled whole to a long side
  of 481, 500 (a square crop), 640 or 800 px in turn, and a seeded crop of 30–60% of it
  downscaled to 500 px;
- `1920 textured` and `1920 smooth`: each photo of at least 1920 px scaled to 1920 on the long
  side, textured when its fine detail (luma minus its σ = 1.5 px blur) averages at least
  TEXTURED grey levels (moss, forest, gravel, cups, stripes; a sky, a gradient or an
  illustration is smooth).
Marks: the bundled logo and a seeded random plane, each on every image, default strength.
Writes DIR/every_photo.md (the per-class table) and DIR/every_photo.json (every image);
DIR/every_photo-strength<S>.md and .json at a strength other than the default.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from watermark import Watermarker
from watermark.app.batch import images_under
from watermark.app.bench import fit_long_side
from watermark.app.io import load_photo
from watermark.app.options import strength_value
from watermark.config import DEFAULTS, TRAIN
from watermark.core import attacks
from watermark.core.luma import luma
from watermark.core.metrics import bit_accuracy, largest_change, psnr, ssim, worst_block_psnr
from watermark.nets.runtime import assets_dir
from watermark.training.data import split_photos

TEXTURED = 2.0  # grey levels of mean |fine detail| at 1920 px
LARGE = 1920
WEB_SIDES = (481, 500, 640, 800)
READS = {"clean": "identity", "jpeg 75": "jpeg:75", "jpeg 50": "jpeg:50"}
VERIFIES = {
    "web": ("resize:0.8+jpeg:85", "resize:0.75+jpeg:75"),
    "1920": ("jpeg:30", "resize:0.8+jpeg:85"),
}


def add_photo_arguments(parser: argparse.ArgumentParser) -> None:
    """--photos (the packages never trained on) and --training (whose held-out photos join)."""
    parser.add_argument("--photos", type=Path, default=Path("data/heldout-broad"))
    parser.add_argument("--training", type=Path, default=Path("data/photos"))


def invocation() -> str:
    """The command that is running, as a result file names it."""
    return "python " + shlex.join(sys.argv)


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    """--weights: a folder of networks to measure (a training run's), instead of the shipped."""
    parser.add_argument("--weights", type=Path, help="networks to measure (default: shipped)")


def heldout_paths(args: argparse.Namespace) -> list[Path]:
    """Every held-out photo: those under --photos and the validation photos of --training."""
    paths = sorted(images_under(args.photos))
    if args.training.is_dir():
        paths += split_photos(args.training, TRAIN)[1]
    return paths


def fine_detail(photo: np.ndarray) -> float:
    grey = luma(photo).astype(np.float32)
    return float(np.mean(np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.5))))


def web_copies(photo: np.ndarray, index: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The photo downscaled whole (a square crop for 500 px), and a random crop of it."""
    side = WEB_SIDES[index % len(WEB_SIDES)]
    whole = photo
    if side == 500:
        short = min(photo.shape[:2])
        top, left = (photo.shape[0] - short) // 2, (photo.shape[1] - short) // 2
        whole = photo[top : top + short, left : left + short]
    height, width = photo.shape[:2]
    keep = np.sqrt(rng.uniform(0.3, 0.6))
    h, w = int(height * keep), int(width * keep)
    top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    crop = photo[top : top + h, left : left + w]
    return [fit_long_side(whole, side), fit_long_side(crop, 500)]


def images(paths: list[Path]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(name, class, photo) for every test image made from `paths`."""
    rng = np.random.default_rng(0)
    for index, path in enumerate(paths):
        photo = load_photo(path)
        for number, copy in enumerate(web_copies(photo, index, rng)):
            yield f"{path.stem}/web{number}", "web", copy
        if max(photo.shape[:2]) >= LARGE:
            large = fit_long_side(photo, LARGE)
            kind = "textured" if fine_detail(large) >= TEXTURED else "smooth"
            yield f"{path.stem}/1920", f"1920 {kind}", large


def measure(watermarker: Watermarker, photo: np.ndarray, plane, family: str, strength) -> dict:
    chosen = watermarker.mark(photo, plane, strength)
    marked = chosen.pixels
    record = {
        "strength": chosen.strength,
        "psnr": psnr(photo, marked),
        "ssim": ssim(photo, marked),
        "worst_block_psnr": worst_block_psnr(photo, marked),
        "largest_change": largest_change(photo, marked),
    }
    for label, spec in READS.items():
        record[label] = bit_accuracy(plane, watermarker.read(attacks.apply(marked, spec)).plane)
    for spec in VERIFIES[family]:
        record[f"found after {spec}"] = watermarker.verify_plane(
            attacks.apply(marked, spec), plane
        ).present
    return record


def median_and_worst(values: np.ndarray, spec: str, worst=np.min) -> str:
    """A table cell: the median of `values`, then their worst in brackets."""
    return f"{np.median(values):{spec}} ({worst(values):{spec}})"


def summary(rows: list[dict]) -> list[str]:
    """One Markdown table row per class and mark."""
    lines = [
        "| class | mark | images | strength median (max) | PSNR median (min) | SSIM median (min) "
        "| worst 0.1% blocks median (min) | largest change median (max) | bits clean median "
        "(worst) | JPEG 75 median | JPEG 50 median | verify found |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["class"], row["mark"]), []).append(row)
    for (kind, mark), group in sorted(groups.items()):
        measured = [key for key in group[0] if key not in ("image", "class", "mark")]
        column = {key: np.array([row[key] for row in group], dtype=float) for key in measured}
        found = [
            f"{key.removeprefix('found after ')}: {int(column[key].sum())}/{len(group)}"
            for key in column
            if key.startswith("found after")
        ]
        lines.append(
            f"| {kind} | {mark} | {len(group)} "
            f"| {np.median(column['strength']):.2f} ({column['strength'].max():.2f}) "
            f"| {median_and_worst(column['psnr'], '.1f')} "
            f"| {median_and_worst(column['ssim'], '.4f')} "
            f"| {median_and_worst(column['worst_block_psnr'], '.1f')} "
            f"| {median_and_worst(column['largest_change'], '.0f', worst=np.max)} "
            f"| {median_and_worst(column['clean'], '.2%')} "
            f"| {np.median(column['jpeg 75']):.2%} | {np.median(column['jpeg 50']):.2%} "
            f"| {'; '.join(found)} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_photo_arguments(parser)
    parser.add_argument("--strength", type=strength_value, default=DEFAULTS.strength)
    add_weights_argument(parser)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    paths = heldout_paths(args)
    watermarker = Watermarker(args.weights)
    marks = {
        "logo": watermarker.mark_plane(load_photo(assets_dir() / "mark.png")),
        "random": np.random.default_rng(1).integers(0, 2, (32, 32)),
    }
    rows = []
    for name, kind, photo in tqdm(list(images(paths)), desc="photos", unit="image"):
        family = kind.split()[0]
        for mark, plane in marks.items():
            record = measure(watermarker, photo, plane, family, args.strength)
            rows.append({"image": name, "class": kind, "mark": mark, **record})
    table = summary(rows)
    header = (
        f"{len(paths)} held-out photos, {len(rows) // len(marks)} images, strength "
        f"{args.strength}, weights {args.weights or 'shipped'}; `{invocation()}`\n"
    )
    report = header + "\n" + "\n".join(table) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    at_default = args.strength == DEFAULTS.strength
    name = "every_photo" if at_default else f"every_photo-strength{args.strength:g}"
    (args.out / f"{name}.md").write_text(report)
    (args.out / f"{name}.json").write_text(json.dumps(rows, indent=1))
    print(report)


if __name__ == "__main__":
    main()
