"""What a batch does to each file: embed, extract or verify, with its settings.

A task is a small frozen dataclass (it travels to worker processes), naming where its output
goes and doing one file's work with the worker's networks through `files`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from ..config import DEFAULTS
from ..watermarker import Watermarker
from . import files, formats
from .report import Outcome


@dataclass(frozen=True)
class Worker:
    """What a worker process holds for every file: the networks and the batch's plane."""

    watermarker: Watermarker
    plane: np.ndarray | None


class Task(Protocol):
    name: ClassVar[str]

    def output_name(self, relative: Path, sniffed: Callable[[], formats.Format | None]) -> Path:
        """Where the file's output goes, relative to the output folder (only tasks that write
        one are planned with an output folder)."""

    def run(
        self, source: Path, output: Path | None, force: bool, worker: Worker, outcome: Outcome
    ) -> None:
        """Do `source`'s work and note its results in `outcome`."""


def _same_name(relative: Path, fmt: str, sniffed: Callable[[], formats.Format | None]) -> Path:
    """The input's name, in `fmt` (or its own format, the suffix found by content if needed)."""
    if fmt != formats.KEEP:
        return relative.with_suffix(f".{fmt}")
    if formats.by_suffix(relative) is not None:
        return relative
    found = sniffed()
    return relative.with_name(relative.name + (found.suffix if found else ".png"))


@dataclass(frozen=True)
class EmbedTask:
    strength: float | str = DEFAULTS.strength
    quality: int = DEFAULTS.quality
    key: str | None = None
    format: str = formats.KEEP
    name: ClassVar[str] = "embed"

    def output_name(self, relative: Path, sniffed) -> Path:
        return _same_name(relative, self.format, sniffed)

    def run(self, source, output, force, worker, outcome) -> None:
        result = files.embed_plane_file(
            source,
            worker.plane,
            output,
            self.strength,
            self.quality,
            force,
            worker.watermarker,
            self.key,
        )
        outcome.psnr, outcome.strength = result.psnr, result.strength
        outcome.notes = result.notes or None


@dataclass(frozen=True)
class ExtractTask:
    size: int = DEFAULTS.view_size
    key: str | None = None
    name: ClassVar[str] = "extract"

    def output_name(self, relative: Path, sniffed) -> Path:
        return files.default_extract_output(relative)

    def run(self, source, output, force, worker, outcome) -> None:
        result = files.extract_file(source, output, self.size, force, worker.watermarker, self.key)
        outcome.confidence, outcome.notes = result.extraction.confidence, result.notes or None


@dataclass(frozen=True)
class VerifyTask:
    fpr: float = DEFAULTS.fpr
    key: str | None = None
    name: ClassVar[str] = "verify"  # writes no file: planned without an output folder

    def run(self, source, output, force, worker, outcome) -> None:
        verdict = files.verify_plane_file(
            source, worker.plane, self.key, self.fpr, worker.watermarker
        )
        outcome.verdict = verdict.as_dict()
