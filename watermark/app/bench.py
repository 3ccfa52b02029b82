"""Robustness measurement: embed once per photo, attack, extract, compare.

The same loop serves `wm bench` (`bench`) and the scripts under benchmarks/ (`run`). Bits are
compared to the plane that was embedded; PSNR and SSIM compare the marked photo with the
original.
"""

from __future__ import annotations

import csv
import json
import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import __version__
from ..config import AUTO, DEFAULTS
from ..core import attacks
from ..core.metrics import bit_accuracy, psnr, ssim
from ..watermarker import ImageTooSmall, Watermarker
from .batch import images_under
from .errors import ImageError
from .files import read_mark
from .io import load_photo


@dataclass(frozen=True)
class BenchResult:
    photos: int
    rows: list[dict]
    median_embed_seconds: float
    median_extract_seconds: float
    written: list[Path]


def bench(
    inputs: Sequence[Path],
    mark: Path | None = None,
    random_planes: int = DEFAULTS.random_planes,
    attack_specs: Sequence[str] = attacks.DEFAULT_SUITE,
    strengths: Sequence[float | str] = (DEFAULTS.strength,),
    out: Path | None = None,
    key: str | None = None,
) -> BenchResult:
    """`wm bench`: every photo in `inputs` (files, and images in folders) marked with `mark`
    (or photo i with random plane i mod `random_planes`, seeded), at each strength (a number
    or `AUTO`), against each attack; with `out`, the report written there."""
    for spec in attack_specs:  # fail before any work on an unknown name
        try:
            attacks.check_spec(spec)
        except ValueError as error:
            raise ImageError(str(error)) from None
    paths = [
        found for item in inputs for found in (images_under(item) if item.is_dir() else [item])
    ]
    if not paths:
        raise ImageError("no images found in " + ", ".join(str(i) for i in inputs))
    watermarker = Watermarker()
    if mark:
        planes = [read_mark(mark, watermarker)]
    else:
        rng = np.random.default_rng(0)
        side = watermarker.config.plane_size
        planes = [rng.integers(0, 2, (side, side)) for _ in range(random_planes)]
    records: list[Record] = []
    for strength in strengths:
        photos = ((str(path), load_photo(path)) for path in paths)
        records += run(photos, planes, attack_specs, watermarker, strength, len(paths), key)
    rows = summarize(records)
    written = []
    if out:
        title = f"wm bench: {len(paths)} photos, {len(attack_specs)} attacks"
        written = write_report(records, rows, out, title)
    return BenchResult(
        len(paths),
        rows,
        float(np.median([r.embed_seconds for r in records])),
        float(np.median([r.extract_seconds for r in records])),
        written,
    )


@dataclass(frozen=True)
class Record:
    image: str
    attack: str
    strength: float | str  # as asked: a number or `AUTO`
    chosen_strength: float  # the one used (the one `AUTO` chose for this photo)
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
    strength: float | str = DEFAULTS.strength,
    total_photos: int | None = None,
    key: str | None = None,
) -> list[Record]:
    """One record per (photo, attack); photo i carries planes[i % len(planes)]."""
    for spec in attack_specs:
        attacks.check_spec(spec)  # fail before any work on an unknown name
    records = []
    total = None if total_photos is None else total_photos * len(attack_specs)
    with tqdm(total=total, unit="attack", desc="bench") as progress:
        for index, (name, image) in enumerate(photos):
            plane = planes[index % len(planes)]
            started = time.perf_counter()
            try:
                marked = watermarker.mark(image, plane, strength, key)
            except ImageTooSmall as error:
                raise ImageError(f"{name}: {error}") from None
            embed_seconds = time.perf_counter() - started
            quality = psnr(image, marked.pixels), ssim(image, marked.pixels)
            for spec in attack_specs:
                attacked = attacks.apply(marked.pixels, spec)
                started = time.perf_counter()
                reading = watermarker.read(attacked, key)
                extract_seconds = time.perf_counter() - started
                accuracy = bit_accuracy(plane, reading.plane)
                records.append(
                    Record(
                        name,
                        spec,
                        strength,
                        marked.strength,
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
    groups: dict[tuple[str, float | str], list[Record]] = {}
    for record in records:
        groups.setdefault((record.attack, record.strength), []).append(record)
    rows = []
    for (attack, strength), group in groups.items():
        accuracy = np.array([r.bit_accuracy for r in group])
        rows.append(
            {
                "attack": attack,
                "strength": strength,
                "median_chosen_strength": float(np.median([r.chosen_strength for r in group])),
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
            f"| {row['attack']} | {strength_label(row)} | {row['median_bit_accuracy']:.2%} "
            f"| {row['mean_bit_accuracy']:.2%} | {row['worst_bit_accuracy']:.2%} "
            f"| {row['mean_psnr']:.1f} ({row['worst_psnr']:.1f}) | {row['mean_ssim']:.4f} |"
        )
    return "\n".join(lines)


def strength_label(row: dict) -> str:
    """The strength as asked, for a table: 0.8, or auto (median 0.8) with the chosen ones'."""
    if row["strength"] == AUTO:
        return f"{AUTO} (median {row['median_chosen_strength']:g})"
    return f"{row['strength']:g}"


def as_dicts(records: Sequence[Record]) -> list[dict]:
    return [asdict(record) for record in records]


def fit_long_side(photo: np.ndarray, long_side: int) -> np.ndarray:
    """A photo scaled so its long side is `long_side` px (benchmarks compare at one size)."""
    return attacks.resize(photo, long_side / max(photo.shape[:2]))


def write_report(records: Sequence[Record], rows: Sequence[dict], out, title: str) -> list:
    """results.csv, results.json, accuracy.png (and tradeoff.png), report.md in folder `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(records[0])))
        writer.writeheader()
        writer.writerows(as_dicts(records))
    (out / "results.json").write_text(
        json.dumps({"summary": list(rows), "records": as_dicts(records)}, indent=1)
    )
    plots = plot(rows, out)
    machine = f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}"
    lines = [f"# {title}", "", f"wm {__version__}; {machine}", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots] + ["", markdown_table(rows), ""]
    (out / "report.md").write_text("\n".join(lines))
    return [out / "results.csv", out / "results.json", *plots, out / "report.md"]


def plot(rows: Sequence[dict], out) -> list:
    """Median and worst bit accuracy per attack; accuracy against PSNR when several strengths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strengths = list(dict.fromkeys(row["strength"] for row in rows))
    attack_names = list(dict.fromkeys(row["attack"] for row in rows))
    figure, axes = plt.subplots(figsize=(max(6, 0.45 * len(attack_names) + 2), 4))
    width = 0.8 / len(strengths)
    for index, strength in enumerate(strengths):
        chosen = {row["attack"]: row for row in rows if row["strength"] == strength}
        x = np.arange(len(attack_names)) + index * width
        medians = [chosen[name]["median_bit_accuracy"] * 100 for name in attack_names]
        worst = [chosen[name]["worst_bit_accuracy"] * 100 for name in attack_names]
        label = strength_label(chosen[attack_names[0]])
        axes.bar(x, medians, width, label=f"strength {label}: median bits")
        axes.scatter(x, worst, marker="_", color="black", zorder=3)
    axes.set_xticks(
        np.arange(len(attack_names)) + 0.4 - width / 2, attack_names, rotation=60, ha="right"
    )
    axes.set_ylabel("bits read right, %")
    axes.set_title("bars: median over photos; dashes: worst photo", fontsize=9)
    axes.set_ylim(40, 100.5)
    axes.axhline(50, color="grey", linewidth=0.5)
    axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    paths = [out / "accuracy.png"]
    figure.savefig(paths[0], dpi=120)
    plt.close(figure)
    if len(strengths) > 1:
        figure, axes = plt.subplots(figsize=(6, 4))
        for name in attack_names:
            chosen = sorted((r for r in rows if r["attack"] == name), key=lambda r: r["mean_psnr"])
            axes.plot(
                [r["mean_psnr"] for r in chosen],
                [r["median_bit_accuracy"] * 100 for r in chosen],
                marker="o",
                label=name,
            )
        axes.set_xlabel("PSNR, dB (higher: less visible)")
        axes.set_ylabel("median bit accuracy, %")
        axes.legend(fontsize=7, ncol=2)
        figure.tight_layout()
        paths.append(out / "tradeoff.png")
        figure.savefig(paths[1], dpi=120)
        plt.close(figure)
    return paths
