"""How long `verify` and `extract` (and `embed`) take after the networks are loaded, on
held-out photos.

Usage: python benchmarks/read_speed.py [--photos data/heldout-broad] [--training data/photos]
                                       [--large 12] [--web 16] [--key KEY]
                                       [--out benchmarks/results]

Photos as in geometry.py, per its classes (1920 textured, 1920 smooth, web). Per photo:
verify of the unmarked photo against the bundled logo (the reader tries every hypothesis
before it says "no mark"), and of the marked photo; extract of the marked photo with a
random plane, clean and after JPEG 75; embed of the logo at strength 1 and at strength auto
(which probes the photo's margin); under the public key or `--key` (marked and read with it).
Run it on an idle machine.
Writes DIR/read_speed.md (DIR/read_speed-key.md under a key).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from every_photo import add_photo_arguments, heldout_paths, invocation
from geometry import add_set_arguments, photo_sets

from watermark import Watermarker
from watermark.app.io import load_photo
from watermark.config import AUTO
from watermark.core import attacks
from watermark.nets.runtime import assets_dir


def seconds(function: Callable, *arguments: object) -> float:
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_photo_arguments(parser)
    add_set_arguments(parser)
    parser.add_argument("--key", default=None)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    paths = heldout_paths(args)
    watermarker = Watermarker()
    logo = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    random_plane = np.random.default_rng(3).integers(0, 2, (32, 32))
    sets = photo_sets(paths, args.large, args.web)
    classes = {kind: [photo for _, photo in items] for kind, items in sets.items() if items}
    key = args.key
    first = next(iter(classes.values()))[0]
    watermarker.verify_plane(first, logo, key)  # loads the networks
    times: dict[str, dict[str, list[float]]] = {}
    for kind, photo in ((kind, photo) for kind, photos in classes.items() for photo in photos):
        marked = watermarker.embed_plane(photo, logo, key=key)
        randomly = watermarker.embed_plane(photo, random_plane, key=key)
        jpeg = attacks.apply(randomly, "jpeg:75")
        for label, function, arguments in (
            ("verify, unmarked photo", watermarker.verify_plane, (photo, logo, key)),
            ("verify, marked photo", watermarker.verify_plane, (marked, logo, key)),
            ("extract, random plane", watermarker.read, (randomly, key)),
            ("extract, random plane, after JPEG 75", watermarker.read, (jpeg, key)),
            ("embed, strength 1", watermarker.embed_plane, (photo, logo, 1.0, key)),
            ("embed, strength auto", watermarker.embed_plane, (photo, logo, AUTO, key)),
        ):
            times.setdefault(label, {}).setdefault(kind, []).append(seconds(function, *arguments))
    columns = " | ".join(f"{kind} median s | {kind} max s" for kind in classes)
    lines = [f"| after loading | {columns} |", "|---" * (1 + 2 * len(classes)) + "|"]
    for label, per_class in times.items():
        cells = " | ".join(
            f"{np.median(values):.2f} | {max(values):.2f}" for values in per_class.values()
        )
        lines.append(f"| {label} | {cells} |")
    counts = ", ".join(f"{len(photos)} {kind}" for kind, photos in classes.items())
    header = f"Held-out photos: {counts}; `{invocation()}`\n\n"
    report = header + "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ("read_speed-key.md" if key else "read_speed.md")).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
