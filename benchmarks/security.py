"""Stripping and forging by an attacker who knows the design but not the key.

Usage: python benchmarks/security.py [--photos data/heldout-broad] [--training data/photos]
                                     [--large 12] [--web 16] [--weights DIR]
                                     [--strength auto] [--out benchmarks/results]

Photos as in geometry.py (held out: the most textured 1920-px photos and a spread of the rest,
and web-size ones). Each is marked with the bundled logo under a secret key at `--strength` (a
number or auto; default the default strength). The attacker
estimates the residual from the marked photo (`core.adversary`: the fold estimate, which knows
the tiling, and the denoise estimate of the generic copy attack), then
- strips: subtracts it, paying a given PSNR; `verify --key` should still find the mark;
- forges: adds it to the next photo of the class, unmarked, paying a given PSNR; `verify --key`
  should not find the mark there;
- re-embeds: reads the whitened plane with the public extractor (no key needed), and embeds it
  in the next photo with the public embedder (`wm embed`, no key), as a genuine mark is made;
- copies the cells: reads every cell of the marked photo with the public extractor, keyed or
  not, and embeds that cell map, centre on centre, in the next photo (`core.adversary`);
- copies them re-bound: learns the key's content hash (`core.binding`) from the marked photo
  and one more of the class marked with the same key and mark (`adversary.learned_pattern`),
  and turns each copied keyed cell over where the two photos' hashes differ.
Writes DIR/security.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from every_photo import add_photo_arguments, add_weights_argument, heldout_paths, invocation
from geometry import add_set_arguments, photo_sets
from tqdm import tqdm

from watermark import Watermarker
from watermark.app.io import load_photo
from watermark.app.options import strength_value
from watermark.config import DEFAULTS
from watermark.core import adversary
from watermark.core.keys import whitening
from watermark.core.metrics import psnr
from watermark.nets.runtime import assets_dir

KEY = "the rights holder's secret"
STRIPS = {"fold": (45.0, 40.0, 38.0), "denoise": (40.0,)}
FORGERIES = {"fold": (45.0, 40.0), "denoise": (40.0, 38.0)}


def estimate(kind: str, marked: np.ndarray, watermarker: Watermarker) -> np.ndarray:
    if kind == "fold":
        return adversary.fold_estimate(marked, watermarker.config, watermarker.sync_config)
    return adversary.denoise_estimate(marked)


def measure(
    watermarker: Watermarker,
    photos: list[tuple[str, np.ndarray]],
    plane: np.ndarray,
    strength: float | str = DEFAULTS.strength,
) -> dict[str, list[tuple[bool, float]]]:
    """{"strip fold 45 dB": [(mark found, PSNR paid)…], "forge …": […]} over `photos`."""
    results: dict[str, list[tuple[bool, float]]] = {}
    for index, (_, photo) in enumerate(tqdm(photos, unit="photo", leave=False)):
        marked = watermarker.embed_plane(photo, plane, strength, KEY)
        other = photos[(index + 1) % len(photos)][1]
        for kind in sorted(set(STRIPS) | set(FORGERIES)):
            residual = estimate(kind, marked, watermarker)
            for decibels in STRIPS.get(kind, ()):
                stripped = adversary.strip(marked, residual, decibels)
                found = watermarker.verify_plane(stripped, plane, key=KEY).present
                results.setdefault(f"strip, {kind} estimate, {decibels:g} dB", []).append(
                    (found, psnr(marked, stripped))
                )
            for decibels in FORGERIES.get(kind, ()):
                forged = adversary.forge(other, residual, decibels)
                found = watermarker.verify_plane(forged, plane, key=KEY).present
                results.setdefault(f"forge, {kind} estimate, {decibels:g} dB", []).append(
                    (found, psnr(other, forged))
                )
        forged = reembed(watermarker, marked, other)
        found = watermarker.verify_plane(forged, plane, key=KEY).present
        results.setdefault("forge, re-embed the read plane", []).append(
            (found, psnr(other, forged))
        )
        forged = copy_cells(watermarker, marked, other)
        found = watermarker.verify_plane(forged, plane, key=KEY).present
        results.setdefault("forge, copy the read cells", []).append((found, psnr(other, forged)))
        second = watermarker.embed_plane(photos[(index + 2) % len(photos)][1], plane, strength, KEY)
        forged = rebound_copy(watermarker, marked, second, other)
        found = watermarker.verify_plane(forged, plane, key=KEY).present
        results.setdefault(
            "forge, copy the read cells re-bound (hash learned from 2 photos)", []
        ).append((found, psnr(other, forged)))
    return results


def reembed(watermarker: Watermarker, marked: np.ndarray, onto: np.ndarray) -> np.ndarray:
    """`onto` marked, under the public key, with the plane that makes the cells `marked` has."""
    whitened = watermarker.read(marked).whitened > 0.5
    public = whitening(None, watermarker.config.plane_size)
    return watermarker.embed_plane(onto, public.undo(whitened.astype(np.float32)) > 0.5)


def copy_cells(watermarker: Watermarker, marked: np.ndarray, onto: np.ndarray) -> np.ndarray:
    """`onto` with the cells `marked` has, as the public extractor reads them."""
    config = watermarker.config
    cells = adversary.read_cells(marked, watermarker.extractor, config)
    return watermarker.embed_cells(onto, lambda shape: adversary.copy_cells(cells, shape, config))


def rebound_copy(
    watermarker: Watermarker, marked: np.ndarray, second: np.ndarray, onto: np.ndarray
) -> np.ndarray:
    """`onto` with the cells `marked` has, re-bound to `onto` by the hash pattern learned from
    `marked` and `second` (same key, same mark)."""
    config, extractor = watermarker.config, watermarker.extractor
    pattern = adversary.learned_pattern(marked, second, extractor, config)
    cells = adversary.rebound_cells(marked, onto, pattern, extractor, config)
    return watermarker.embed_cells(onto, lambda shape: cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_photo_arguments(parser)
    add_set_arguments(parser)
    add_weights_argument(parser)
    parser.add_argument("--strength", type=strength_value, default=DEFAULTS.strength)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    paths = heldout_paths(args)
    watermarker = Watermarker(args.weights)
    plane = watermarker.mark_plane(load_photo(assets_dir() / "mark.png"))
    lines = [
        "| class | attack | attacker's PSNR (median) | verify --key finds the mark |",
        "|---|---|---|---|",
    ]
    for family, photos in photo_sets(paths, args.large, args.web).items():
        for attack, outcomes in measure(watermarker, photos, plane, args.strength).items():
            paid = sorted(cost for _, cost in outcomes)[len(outcomes) // 2]
            found = sum(present for present, _ in outcomes)
            lines.append(f"| {family} | {attack} | {paid:.1f} | {found}/{len(outcomes)} |")
    header = (
        f"Logo mark under a secret key, strength {args.strength}, "
        f"weights {args.weights or 'shipped'}; "
        "forgeries go onto the next photo of "
        "the class. Wanted: strips found on every photo, forgeries on none. "
        f"`{invocation()}`\n"
    )
    report = header + "\n" + "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "security.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
