"""Robustness measurement: embed once per photo, attack, extract, compare.

The same loop serves `benchmarks/quality.py` now and `wm bench` later. Bits are compared to
the plane that was embedded; PSNR and SSIM compare the marked photo with the original.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

from . import attacks
from .metrics import bit_accuracy, psnr, ssim
from .watermarker import Watermarker


@dataclass(frozen=True)
class Record:
    image: str
    attack: str
    strength: float
    psnr: float
    ssim: float
    bit_accuracy: float
    confidence: float
    embed_seconds: float
    extract_seconds: float


def run(
    photos: Iterable[tuple[str, np.ndarray]],
    planes: Sequence[np.ndarray],
    attack_specs: Sequence[str],
    watermarker: Watermarker,
    strength: float = 1.0,
    total_photos: int | None = None,
) -> list[Record]:
    """One record per (photo, attack); photo i carries planes[i % len(planes)]."""
    for spec in attack_specs:
        attacks.parse(spec)  # fail before any work on an unknown name
    records = []
    total = None if total_photos is None else total_photos * len(attack_specs)
    with tqdm(total=total, unit="attack", desc="bench") as progress:
        for index, (name, image) in enumerate(photos):
            plane = planes[index % len(planes)]
            started = time.perf_counter()
            marked = watermarker.embed_plane(image, plane, strength)
            embed_seconds = time.perf_counter() - started
            quality = psnr(image, marked), ssim(image, marked)
            for spec in attack_specs:
                attacked = attacks.apply(marked, spec)
                started = time.perf_counter()
                reading = watermarker.read(attacked)
                extract_seconds = time.perf_counter() - started
                accuracy = bit_accuracy(plane, reading.plane)
                records.append(
                    Record(
                        name,
                        spec,
                        strength,
                        *quality,
                        accuracy,
                        reading.confidence,
                        embed_seconds,
                        extract_seconds,
                    )
                )
                progress.update()
    return records


def summarize(records: Sequence[Record]) -> list[dict]:
    """Per (attack, strength): median, mean and worst bit accuracy, PSNR, SSIM, times."""
    groups: dict[tuple[str, float], list[Record]] = {}
    for record in records:
        groups.setdefault((record.attack, record.strength), []).append(record)
    rows = []
    for (attack, strength), group in groups.items():
        accuracy = np.array([r.bit_accuracy for r in group])
        rows.append(
            {
                "attack": attack,
                "strength": strength,
                "images": len(group),
                "median_bit_accuracy": float(np.median(accuracy)),
                "mean_bit_accuracy": float(np.mean(accuracy)),
                "worst_bit_accuracy": float(np.min(accuracy)),
                "mean_psnr": float(np.mean([r.psnr for r in group])),
                "worst_psnr": float(np.min([r.psnr for r in group])),
                "mean_ssim": float(np.mean([r.ssim for r in group])),
                "median_embed_seconds": float(np.median([r.embed_seconds for r in group])),
                "median_extract_seconds": float(np.median([r.extract_seconds for r in group])),
            }
        )
    return rows


def markdown_table(rows: Sequence[dict]) -> str:
    lines = [
        "| attack | strength | median bits | mean bits | worst bits | PSNR dB (worst) | SSIM |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['attack']} | {row['strength']:g} | {row['median_bit_accuracy']:.2%} "
            f"| {row['mean_bit_accuracy']:.2%} | {row['worst_bit_accuracy']:.2%} "
            f"| {row['mean_psnr']:.1f} ({row['worst_psnr']:.1f}) | {row['mean_ssim']:.4f} |"
        )
    return "\n".join(lines)


def as_dicts(records: Sequence[Record]) -> list[dict]:
    return [asdict(record) for record in records]
