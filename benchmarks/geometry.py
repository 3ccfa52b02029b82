"""Found again after any common edit: verify and extract after crops, turns, flips and warps.

Usage: python benchmarks/geometry.py [--photos data/heldout-broad] [--training data/photos]
                                     [--large 12] [--web 16] [--weights DIR] [--key KEY]
                                     [--strength auto] [--out benchmarks/results]

Photos (never trained on, see every_photo.py): `large` photos at 1920 px, the most textured
half of them and an even spread of the rest, reported in every_photo.py's classes (textured
or smooth), and `web` web-size copies (the whole photo at 481–800 px). Marks: the bundled
logo and a seeded random plane per photo, at `--strength` (a number or auto; default the
default strength), under the public key or `--key`
(then `verify` counts the keyed bits only, see `core.layout`). For each attack, per class: on
how many photos `verify` finds the mark, and the median share of bits `extract` reads right.
Writes DIR/geometry.md and DIR/geometry.json.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from every_photo import (
    LARGE,
    TEXTURED,
    WEB_SIDES,
    add_photo_arguments,
    add_weights_argument,
    fine_detail,
    heldout_paths,
    invocation,
)
from tqdm import tqdm

from watermark import Watermarker
from watermark.app.bench import fit_long_side
from watermark.app.io import load_photo
from watermark.app.options import strength_value
from watermark.config import DEFAULTS
from watermark.core import attacks
from watermark.core.metrics import bit_accuracy
from watermark.nets.runtime import assets_dir

ATTACKS = {
    "1920": (
        "crop:0.5",
        "crop-random:0.5",
        "crop:0.8",
        "rotate:2",
        "chain",
        "repost",
        "mirror",
        "turn:90",
        "stretch:0.8",
        "perspective:0.06",
        "rotate:10",
        "crop:0.1",
        "perspective:0.03",
    ),
    "web": (
        "crop:0.5",
        "crop-random:0.5",
        "rotate:2",
        "mirror",
        "perspective:0.03",
        "perspective:0.06",
    ),
}


def add_set_arguments(parser: argparse.ArgumentParser) -> None:
    """--large and --web: how many photos of each class `photo_sets` takes."""
    parser.add_argument("--large", type=int, default=12)
    parser.add_argument("--web", type=int, default=16)


def photo_sets(paths: list[Path], large: int, web: int) -> dict[str, list[tuple[str, np.ndarray]]]:
    """{"1920 textured": [(name, photo)…], "1920 smooth": […], "web": […]}: see the module
    docstring; a 1920-px photo is textured as every_photo.py says (fine detail ≥ TEXTURED)."""
    photos = [(path.stem, load_photo(path)) for path in paths]
    big = []
    for name, photo in photos:
        if max(photo.shape[:2]) >= LARGE:
            scaled = fit_long_side(photo, LARGE)
            big.append((fine_detail(scaled), name, scaled))
    big.sort(key=lambda item: -item[0])
    if len(big) < large:
        raise SystemExit(f"only {len(big)} photos have {LARGE} px; --large {large} asks for more")
    textured, rest = big[: large // 2], big[large // 2 :]
    spread = np.linspace(0, len(rest) - 1, large - len(textured)).round().astype(int)
    chosen = np.linspace(0, len(photos) - 1, web).round().astype(int)
    sets: dict[str, list[tuple[str, np.ndarray]]] = {"1920 textured": [], "1920 smooth": []}
    for detail, name, photo in textured + [rest[index] for index in spread]:
        sets["1920 textured" if detail >= TEXTURED else "1920 smooth"].append((name, photo))
    sets["web"] = [
        (photos[index][0], fit_long_side(photos[index][1], WEB_SIDES[number % len(WEB_SIDES)]))
        for number, index in enumerate(chosen)
    ]
    return sets


def measure(
    watermarker: Watermarker,
    photo: np.ndarray,
    plane: np.ndarray,
    specs: Sequence[str],
    key: str | None = None,
    strength: float | str = DEFAULTS.strength,
) -> dict[str, dict]:
    """{attack: {"found": verify says present, "bits": share extract reads right}}."""
    marked = watermarker.embed_plane(photo, plane, strength, key)
    record = {}
    for spec in specs:
        copy = attacks.apply(marked, spec)
        record[spec] = {
            "found": watermarker.verify_plane(copy, plane, key=key).present,
            "bits": bit_accuracy(plane, watermarker.read(copy, key=key).plane),
        }
    return record


def summary(rows: list[dict]) -> list[str]:
    lines = [
        "| class | attack | found, logo | found, random | bits, logo (median) "
        "| bits, random (median) |",
        "|---|---|---|---|---|---|",
    ]
    for kind in dict.fromkeys(row["class"] for row in rows):
        for spec in ATTACKS[kind.split()[0]]:
            cells = [
                [row[spec] for row in rows if row["class"] == kind and row["mark"] == mark]
                for mark in ("logo", "random")
            ]
            found = [f"{sum(r['found'] for r in c)}/{len(c)}" for c in cells]
            bits = [f"{np.median([r['bits'] for r in c]):.1%}" for c in cells]
            lines.append(f"| {kind} | {spec} | {found[0]} | {found[1]} | {bits[0]} | {bits[1]} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_photo_arguments(parser)
    add_set_arguments(parser)
    add_weights_argument(parser)
    parser.add_argument("--key", help="mark and read under this secret key (default: public)")
    parser.add_argument("--strength", type=strength_value, default=DEFAULTS.strength)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    paths = heldout_paths(args)
    watermarker = Watermarker(args.weights)
    logo = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    rng = np.random.default_rng(7)
    sets = photo_sets(paths, args.large, args.web)
    work = [(kind, name, photo) for kind, items in sets.items() for name, photo in items]
    rows = []
    for kind, name, photo in tqdm(work, desc="photos", unit="photo"):
        for mark, plane in (("logo", logo), ("random", rng.integers(0, 2, (32, 32)))):
            specs = ATTACKS[kind.split()[0]]
            record = measure(watermarker, photo, plane, specs, args.key, args.strength)
            rows.append({"image": name, "class": kind, "mark": mark, **record})
    counts = ", ".join(f"{len(items)} {kind}" for kind, items in sets.items())
    under = f"secret key (`--key {args.key}`)" if args.key else "public key"
    header = f"{counts}; strength {args.strength}, {under}; `{invocation()}`\n"
    report = header + "\n" + "\n".join(summary(rows)) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "geometry.md").write_text(report)
    (args.out / "geometry.json").write_text(json.dumps(rows, indent=1))
    print(report)


if __name__ == "__main__":
    main()
