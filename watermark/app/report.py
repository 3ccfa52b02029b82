"""What a batch tells: each file's outcome, the summary, the JSONL log and the verify CSV."""

from __future__ import annotations

import csv
import json
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic import open_atomically


@dataclass
class Outcome:
    source: str
    status: str  # "done", "skipped" (output exists), "failed", "ignored" (not an image)
    output: str | None = None
    reason: str | None = None
    notes: list[str] | None = None
    psnr: float | None = None
    strength: float | None = None
    confidence: float | None = None
    verdict: dict | None = None
    seconds: float = 0.0
    node: str | None = None  # the Ray node that did the file (Ray engine only)

    def log_line(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0  # files that are not images by name or content
    present: int = 0  # verified files that carry the mark
    seconds: float = 0.0

    def record(self, outcome: Outcome) -> bool:
        """Count `outcome`; False for a file that is not an image (nothing to report)."""
        if outcome.status == "ignored":
            self.ignored += 1
            return False
        self.counts[outcome.status] += 1
        if outcome.status == "failed":
            self.failures.append((outcome.source, outcome.reason or ""))
        self.present += bool(outcome.verdict and outcome.verdict["present"])
        return True

    @property
    def exit_code(self) -> int:
        return 1 if self.counts["failed"] else 0

    def line(self, verified: bool = False) -> str:
        rate = self.counts["done"] / self.seconds if self.seconds else 0.0
        present = f"; mark present in {self.present}" if verified else ""
        return (
            f"done {self.counts['done']}, skipped {self.counts['skipped']} (already there), "
            f"failed {self.counts['failed']}, not images {self.ignored}; "
            f"{self.seconds:.1f} s, {rate:.2f} images/s{present}"
        )

    def failure_lines(self) -> list[str]:
        return [
            f"failed: {reason}" if name in reason else f"failed: {name}: {reason}"
            for name, reason in self.failures
        ]


class CsvReport(AbstractContextManager):
    """Verify results streamed to a temporary CSV next to `path`, moved into place at the end."""

    COLUMNS = ("file", "bits", "matching", "bit_accuracy", "p_value", "present")

    def __init__(self, path: Path, overwrite: bool = False):
        self.path, self.overwrite = Path(path), overwrite

    def __enter__(self) -> CsvReport:
        self._file = open_atomically(self.path, self.overwrite, newline="", flag="--overwrite")
        self.writer = csv.writer(self._file.__enter__())
        self.writer.writerow(self.COLUMNS)
        return self

    def add(self, outcome: Outcome) -> None:
        if outcome.verdict:
            verdict = outcome.verdict
            self.writer.writerow([outcome.source, *(verdict[c] for c in self.COLUMNS[1:])])

    def __exit__(self, *exc) -> None:
        self._file.__exit__(*exc)
