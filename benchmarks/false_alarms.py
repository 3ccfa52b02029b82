"""`wm verify` on unmarked and marked photos: false alarms and detections.

Usage: python benchmarks/false_alarms.py [--photos data/photos] [--count 100] [--keys 10]
                                         [--long-side 1920] [--weights DIR]
                                         [--strength auto]

Images: every fetched photo at `long-side` px, plus a random 70%-area crop of each, until
`count` (at a long side under the working size, 1024, the reader also scans long periods:
see `reading.locate`).
Unmarked: each image is verified against the bundled mark under each of `keys` random keys
(count × keys trials: the keyed bits count, see `core.layout`), and under the public key (count
trials: every bit counts); the null hypothesis says p-values are uniform and "present"
(p ≤ 1e-6) should never happen. Marked: each image is marked under one of the keys (at
`--strength`, a number or auto; default the default strength), attacked,
verified; and extracted and verified, unattacked, with the next key (a wrong one).
Writes DIR/false_alarms.md (DIR/false_alarms-<long side>px.md at another long side).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from every_photo import add_weights_argument
from tqdm import tqdm

from watermark import Watermarker
from watermark.app.batch import images_under
from watermark.app.bench import fit_long_side
from watermark.app.io import load_photo
from watermark.app.options import strength_value
from watermark.config import DEFAULTS
from watermark.core import attacks
from watermark.core.metrics import bit_accuracy
from watermark.nets.runtime import assets_dir

ATTACKS = ("jpeg:50", "resize:0.5", "social")
LONG_SIDE = 1920


def images(folder: Path, count: int, long_side: int) -> list[np.ndarray]:
    paths = sorted(images_under(folder))
    rng = np.random.default_rng(0)
    found = []
    for variant in range(2):
        for path in paths:
            photo = load_photo(path)
            if variant:
                h, w = photo.shape[:2]
                ch, cw = int(h * 0.84), int(w * 0.84)
                top, left = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
                photo = photo[top : top + ch, left : left + cw]
            found.append(fit_long_side(photo, long_side))
            if len(found) == count:
                return found
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--long-side", type=int, default=LONG_SIDE)
    add_weights_argument(parser)
    parser.add_argument("--strength", type=strength_value, default=DEFAULTS.strength)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    watermarker = Watermarker(args.weights)
    plane = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    keys = [f"key-{i}" for i in range(args.keys)]
    photos = images(args.photos, args.count, args.long_side)
    p_values, accuracies, alarms = [], [], 0
    detected = {spec: 0 for spec in ATTACKS}
    wrong_key_accuracies, wrong_key_present = [], 0
    public_p_values = []
    for index, photo in enumerate(tqdm(photos, desc="verify", unit="image")):
        public_p_values.append(watermarker.verify_plane(photo, plane).p_value)
        for key in keys:
            verdict = watermarker.verify_plane(photo, plane, key)
            p_values.append(verdict.p_value)
            accuracies.append(verdict.bit_accuracy)
            alarms += verdict.present
        key = keys[index % len(keys)]
        marked = watermarker.embed_plane(photo, plane, args.strength, key)
        for spec in ATTACKS:
            attacked = attacks.apply(marked, spec)
            detected[spec] += watermarker.verify_plane(attacked, plane, key).present
        wrong = keys[(index + 1) % len(keys)]
        wrong_key_accuracies.append(bit_accuracy(plane, watermarker.read(marked, wrong).plane))
        wrong_key_present += watermarker.verify_plane(marked, plane, wrong).present
    p = np.array(p_values)
    trials = len(p)
    lines = [
        f"{len(photos)} images (fetched photos and crops of them, {args.long_side} px) × "
        f"{len(keys)} keys "
        f"= {trials} trials of `verify` on unmarked images, fpr {DEFAULTS.fpr:g}, "
        f"weights {args.weights or 'shipped'}",
        "",
        f'- said "present": {alarms} of {trials}',
        f"- bit accuracy against the mark: mean {np.mean(accuracies):.2%}, "
        f"sd {np.std(accuracies):.2%}, range {np.min(accuracies):.2%}–{np.max(accuracies):.2%}",
        f"- p-values: min {p.min():.3g}; share below 0.01: {np.mean(p < 0.01):.3f}, below 0.05: "
        f"{np.mean(p < 0.05):.3f}, below 0.5: {np.mean(p < 0.5):.3f} (uniform: 0.01, 0.05, 0.5)",
        "",
        f"The same {len(photos)} images under the public key (every bit counts):",
        "",
        f'- said "present": {sum(v <= DEFAULTS.fpr for v in public_p_values)} of {len(photos)}; '
        f"p-values: min {min(public_p_values):.3g}, share below 0.05: "
        f"{np.mean(np.array(public_p_values) < 0.05):.3f}",
        "",
        f"Marked (one of the keys each, strength {args.strength}), attacked, verified with the "
        f"key, {len(photos)} images:",
        "",
        *(
            f"- {spec}: present in {count} of {len(photos)} ({count / len(photos):.1%})"
            for spec, count in detected.items()
        ),
        "",
        f"Marked, read with a wrong key (the next one), {len(photos)} images:",
        "",
        f"- bit accuracy of `extract`: mean {np.mean(wrong_key_accuracies):.2%}, "
        f"sd {np.std(wrong_key_accuracies):.2%}, range {np.min(wrong_key_accuracies):.2%}–"
        f"{np.max(wrong_key_accuracies):.2%}",
        f'- `verify` said "present": {wrong_key_present} of {len(photos)}',
    ]
    report = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.long_side == LONG_SIDE else f"-{args.long_side}px"
    (args.out / f"false_alarms{suffix}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
