"""Watermarking whole folders: a streamed file list, worker processes, resumable outputs.

Each worker process loads the networks once (pool initializer) and handles whole files (decode,
network, encode), so with N workers N files are in flight and their stages overlap. Outputs
are written atomically by `io`, so a killed run leaves only complete files, and a re-run skips
every output that exists (`overwrite` redoes them). The file list is a generator: memory does
not grow with the folder.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .io import SUFFIX_FORMATS, ImageError

IMAGE_SUFFIXES = set(SUFFIX_FORMATS)
MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")


@dataclass(frozen=True)
class Job:
    """One file's work: which operation, where from, where to, with what settings."""

    operation: str  # "embed", "extract" or "verify"
    source: Path
    output: Path | None
    settings: dict = field(default_factory=dict)


@dataclass
class Outcome:
    source: str
    status: str  # "done", "skipped" (output exists), "failed"
    output: str | None = None
    reason: str | None = None
    psnr: float | None = None
    confidence: float | None = None
    verdict: dict | None = None
    seconds: float = 0.0


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0  # files that are not images by name or content
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.counts["failed"] else 0

    def line(self) -> str:
        rate = self.counts["done"] / self.seconds if self.seconds else 0.0
        return (
            f"done {self.counts['done']}, skipped {self.counts['skipped']} (already there), "
            f"failed {self.counts['failed']}, not images {self.ignored}; "
            f"{self.seconds:.1f} s, {rate:.2f} images/s"
        )


def is_image(path: Path) -> bool:
    """By extension and by the first bytes (a .jpg that is really text is still 'an image'
    here and fails later with its reason: the user named it as one)."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError:
        return False
    return head.startswith(MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def walk(source: Path, recursive: bool = True) -> Iterator[Path]:
    """Files under `source` in a stable order, streamed folder by folder."""
    entries = sorted(os.scandir(source), key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_file():
            yield Path(entry.path)
    if recursive:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from walk(Path(entry.path), recursive)


def check_folders(source: Path, out: Path | None) -> None:
    if not source.is_dir():
        raise ImageError(f"{source}: not a folder")
    if out is None:
        return
    source_real, out_real = source.resolve(), out.resolve()
    if out_real == source_real or source_real in out_real.parents:
        raise ImageError(
            f"{out}: is inside the source folder {source}; choose another output folder"
        )


FORMATS = ("keep", "png", "jpg", "webp", "tif")


def output_path(relative: Path, out_root: Path, operation: str, fmt: str = "keep") -> Path | None:
    """Where a file's result goes: the same relative folders and name under `out_root`."""
    if operation == "verify":
        return None
    if operation == "extract":
        return out_root / relative.with_name(f"{relative.stem}.mark.png")
    return out_root / (relative if fmt == "keep" else relative.with_suffix(f".{fmt}"))


def plan(
    source: Path,
    out: Path | None,
    operation: str,
    settings: dict,
    recursive: bool = True,
    overwrite: bool = False,
    fmt: str = "keep",
) -> Iterator[Job | Outcome]:
    """Jobs to run, and outcomes settled without running: outputs already there, non-images."""
    for file in walk(source, recursive):
        if not is_image(file):
            yield Outcome(str(file), "ignored")
            continue
        target = output_path(file.relative_to(source), out, operation, fmt) if out else None
        if target is not None and target.exists() and not overwrite:
            yield Outcome(str(file), "skipped", str(target))
            continue
        yield Job(operation, file, target, {**settings, "force": overwrite})


_worker: dict = {}


def _start_worker(weights: Path | None, threads: int, plane) -> None:
    from .watermarker import Watermarker

    _worker["watermarker"] = Watermarker(weights, threads=threads)
    _worker["plane"] = plane


def _run(job: Job) -> Outcome:
    """One file, start to end; every failure becomes the file's outcome, never the batch's."""
    from . import files

    watermarker, plane = _worker["watermarker"], _worker["plane"]
    settings = job.settings
    started = time.perf_counter()
    outcome = Outcome(str(job.source), "done", str(job.output) if job.output else None)
    try:
        if job.output is not None:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            for stale in job.output.parent.glob(f".{job.output.name}.*.tmp"):
                stale.unlink()  # left by a killed run (io writes temp files, then renames)
        if job.operation == "embed":
            result = files.embed_plane_file(
                job.source,
                plane,
                job.output,
                settings["strength"],
                settings["quality"],
                settings["force"],
                watermarker,
                settings["key"],
            )
            outcome.psnr = result.psnr
        elif job.operation == "extract":
            result = files.extract_file(
                job.source,
                job.output,
                settings["size"],
                settings["force"],
                watermarker,
                settings["key"],
            )
            outcome.confidence = result.extraction.confidence
        else:
            verdict = files.verify_plane_file(
                job.source, plane, settings["key"], settings["fpr"], watermarker
            )
            outcome.verdict = verdict.as_dict()
    except ImageError as error:
        outcome.status, outcome.reason = "failed", str(error)
    except Exception as error:  # a bug or an exotic file must not stop the other files
        outcome.status, outcome.reason = "failed", f"{job.source}: {type(error).__name__}: {error}"
    outcome.seconds = time.perf_counter() - started
    return outcome


def run(
    work: Iterator[Job | Outcome],
    workers: int,
    weights: Path | None = None,
    plane=None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Summary:
    """Run the planned work with `workers` processes (1: in this process)."""
    summary = Summary()
    started = time.perf_counter()
    threads = max(1, (os.cpu_count() or 1) // workers)

    def record(outcome: Outcome) -> None:
        if outcome.status == "ignored":
            summary.ignored += 1
            return
        summary.counts[outcome.status] += 1
        if outcome.status == "failed":
            summary.failures.append((outcome.source, outcome.reason or ""))
        if on_outcome:
            on_outcome(outcome)

    if workers == 1:
        _start_worker(weights, threads, plane)
        for item in work:
            record(item if isinstance(item, Outcome) else _run(item))
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers, _start_worker, (weights, threads, plane)) as pool:
            pending: list = []
            for item in work:
                if isinstance(item, Outcome):
                    record(item)
                    continue
                pending.append(pool.apply_async(_run, (item,)))
                while len(pending) >= 2 * workers:  # a bounded window: the list streams
                    record(pending.pop(0).get())
            for result in pending:
                record(result.get())
    summary.seconds = time.perf_counter() - started
    return summary


def log_line(outcome: Outcome) -> str:
    return json.dumps({key: value for key, value in asdict(outcome).items() if value is not None})


class CsvReport:
    """Verify results streamed to a temporary CSV next to `path`, renamed into place at the end."""

    COLUMNS = ("file", "bits", "matching", "bit_accuracy", "p_value", "present")

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> CsvReport:
        handle, self.temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self.file = os.fdopen(handle, "w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(self.COLUMNS)
        return self

    def add(self, source: str, verdict: dict) -> None:
        self.writer.writerow([source, *(verdict[column] for column in self.COLUMNS[1:])])

    def __exit__(self, *exc) -> None:
        self.file.close()
        if exc[0] is None:
            os.replace(self.temporary, self.path)
        else:
            os.unlink(self.temporary)
