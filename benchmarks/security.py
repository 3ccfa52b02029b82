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
Writes DIR/security.md (with the forgeries that verified, by photo) and DIR/security.json
(every outcome).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class Outcome:
    """One attack on one marked photo: whether `verify --key` found the mark in the result,
    the PSNR the attacker paid, and the photos (`onto`: the one forged, None for a strip)."""

    found: bool
    psnr: float
    photo: str
    onto: str | None = None


def estimate(kind: str, marked: np.ndarray, watermarker: Watermarker) -> np.ndarray:
    if kind == "fold":
        return adversary.fold_estimate(marked, watermarker.config, watermarker.sync_config)
    return adversary.denoise_estimate(marked)


def measure(
    watermarker: Watermarker,
    photos: list[tuple[str, np.ndarray]],
    plane: np.ndarray,
    strength: float | str = DEFAULTS.strength,
) -> dict[str, list[Outcome]]:
    """{"strip fold 45 dB": [Outcome…], "forge …": […]} over `photos` (name, photo)."""
    results: dict[str, list[Outcome]] = {}
    for index, (name, photo) in enumerate(tqdm(photos, unit="photo", leave=False)):
        marked = watermarker.embed_plane(photo, plane, strength, KEY)
        onto, other = photos[(index + 1) % len(photos)]
        forgeries = {}
        for kind in sorted(set(STRIPS) | set(FORGERIES)):
            residual = estimate(kind, marked, watermarker)
            for decibels in STRIPS.get(kind, ()):
                stripped = adversary.strip(marked, residual, decibels)
                found = watermarker.verify_plane(stripped, plane, key=KEY).present
                results.setdefault(f"strip, {kind} estimate, {decibels:g} dB", []).append(
                    Outcome(found, psnr(marked, stripped), name)
                )
            for decibels in FORGERIES.get(kind, ()):
                forged = adversary.forge(other, residual, decibels)
                forgeries[f"forge, {kind} estimate, {decibels:g} dB"] = forged
        forgeries["forge, re-embed the read plane"] = reembed(watermarker, marked, other)
        forgeries["forge, copy the read cells"] = copy_cells(watermarker, marked, other)
        second = watermarker.embed_plane(photos[(index + 2) % len(photos)][1], plane, strength, KEY)
        forgeries["forge, copy the read cells re-bound (hash learned from 2 photos)"] = (
            rebound_copy(watermarker, marked, second, other)
        )
        for attack, forged in forgeries.items():
            found = watermarker.verify_plane(forged, plane, key=KEY).present
            results.setdefault(attack, []).append(Outcome(found, psnr(other, forged), name, onto))
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
    rows = []
    for family, photos in photo_sets(paths, args.large, args.web).items():
        for attack, outcomes in measure(watermarker, photos, plane, args.strength).items():
            paid = sorted(outcome.psnr for outcome in outcomes)[len(outcomes) // 2]
            found = sum(outcome.found for outcome in outcomes)
            lines.append(f"| {family} | {attack} | {paid:.1f} | {found}/{len(outcomes)} |")
            rows += [{"class": family, "attack": attack, **asdict(o)} for o in outcomes]
    forged = [
        f"- {row['class']}, {row['attack']}: {row['photo']}'s mark onto {row['onto']} "
        f"({row['psnr']:.1f} dB)"
        for row in rows
        if row["found"] and row["onto"] is not None
    ]
    lines += ["", "Forgeries that verified:", "", *(forged or ["- none"])]
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
    (args.out / "security.json").write_text(json.dumps(rows, indent=1))
    print(report)


if __name__ == "__main__":
    main()
