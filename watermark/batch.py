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
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .io import SUFFIX_FORMATS, ImageError, publish, temporary_beside
from .runtime import usable_cores

IMAGE_SUFFIXES = set(SUFFIX_FORMATS)
MAGIC = {
    b"\x89PNG": ".png",
    b"\xff\xd8\xff": ".jpg",
    b"II*\x00": ".tif",
    b"MM\x00*": ".tif",
    b"BM": ".bmp",
}


TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # .<name>.<mkstemp's 8 characters>.tmp


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
    status: str  # "done", "skipped" (output exists), "failed", "ignored" (not an image)
    output: str | None = None
    reason: str | None = None
    notes: list[str] | None = None
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
    return path.suffix.lower() in IMAGE_SUFFIXES or sniffed_suffix(path) is not None


def sniffed_suffix(path: Path) -> str | None:
    """The suffix an image file's first bytes call for (None: not an image we read)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    return next((suffix for magic, suffix in MAGIC.items() if head.startswith(magic)), None)


def walk(source: Path, recursive: bool = True) -> Iterator[Path]:
    """Files under `source` in a stable order, streamed folder by folder. A folder that cannot
    be listed is yielded itself, for `plan` to report."""
    try:
        entries = sorted(os.scandir(source), key=lambda entry: entry.name)
    except OSError:
        yield source
        return
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


def output_path(relative: Path, out_root: Path, operation: str, fmt: str, sniffed: str | None):
    """Where a file's result goes: the same relative folders and name under `out_root`."""
    if operation == "extract":
        return out_root / relative.with_name(f"{relative.stem}.mark.png")
    if fmt != "keep":
        return out_root / relative.with_suffix(f".{fmt}")
    if relative.suffix.lower() in IMAGE_SUFFIXES:
        return out_root / relative
    return out_root / relative.with_name(relative.name + (sniffed or ".png"))


def plan(
    source: Path,
    out: Path | None,
    operation: str,
    settings: dict,
    recursive: bool = True,
    overwrite: bool = False,
    fmt: str = "keep",
) -> Iterator[Job | Outcome]:
    """Jobs to run, and outcomes settled without running: outputs already there, non-images,
    unreadable folders, and files whose output name another file of this batch takes
    (photo.jpg and photo.png with --format png): those fail rather than overwrite each other."""
    claimed: dict[Path, Path] = {}
    cleaned: set[Path] = set()
    for file in walk(source, recursive):
        if file.is_dir():
            yield Outcome(str(file), "failed", reason=f"{file}: cannot list this folder")
            continue
        if not is_image(file):
            yield Outcome(str(file), "ignored")
            continue
        target = None
        if out is not None:
            relative = file.relative_to(source)
            target = output_path(relative, out, operation, fmt, sniffed_suffix(file))
            if target in claimed:
                reason = f"{file}: output {target} is already taken by {claimed[target]}"
                yield Outcome(str(file), "failed", reason=reason)
                continue
            claimed[target] = file
            if target.parent not in cleaned:
                remove_stale_temporaries(target.parent)
                cleaned.add(target.parent)
            if target.exists() and not overwrite:
                yield Outcome(str(file), "skipped", str(target))
                continue
        yield Job(operation, file, target, {**settings, "force": overwrite})


def remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed run left in `folder` (see `io.temporary_beside`).

    Done once per output folder, when the plan first reaches it: no job for that folder has
    started yet, so none of them is a file being written now.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # not there yet: nothing stale
    for entry in entries:
        if TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)


_worker: dict = {}


def _start_worker(threads: int, plane) -> None:
    from .watermarker import Watermarker

    _worker["watermarker"] = Watermarker(threads=threads)
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
            outcome.psnr, outcome.notes = result.psnr, result.notes or None
        elif job.operation == "extract":
            result = files.extract_file(
                job.source,
                job.output,
                settings["size"],
                settings["force"],
                watermarker,
                settings["key"],
            )
            outcome.confidence, outcome.notes = result.extraction.confidence, result.notes or None
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
    plane=None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Summary:
    """Run the planned work with `workers` processes (1: in this process).

    A worker that dies (killed for memory, a crash in native code) fails the files it held,
    and the pool is restarted for the rest: the batch neither hangs nor stops.
    """
    summary = Summary()
    started = time.perf_counter()
    threads = max(1, usable_cores() // workers)

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
        _start_worker(threads, plane)
        for item in work:
            record(item if isinstance(item, Outcome) else _run(item))
    else:
        _run_in_pool(work, workers, threads, plane, record)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_in_pool(work, workers: int, threads: int, plane, record) -> None:
    context = multiprocessing.get_context("spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, context, _start_worker, (threads, plane))

    pool = new_pool()
    pending: list[tuple[Job, Future]] = []

    def settle_oldest() -> None:
        nonlocal pool
        job, future = pending.pop(0)
        try:
            record(future.result())
        except BrokenProcessPool:
            reason = f"{job.source}: the worker process died (out of memory?)"
            record(Outcome(str(job.source), "failed", reason=reason))
            pool.shutdown(cancel_futures=True)
            retry = [item for item, _ in pending]
            pending.clear()
            pool = new_pool()
            pending.extend((item, pool.submit(_run, item)) for item in retry)

    try:
        for item in work:
            if isinstance(item, Outcome):
                record(item)
                continue
            pending.append((item, pool.submit(_run, item)))
            while len(pending) >= 2 * workers:  # a bounded window: the file list streams
                settle_oldest()
        while pending:
            settle_oldest()
    finally:
        pool.shutdown()


def log_line(outcome: Outcome) -> str:
    return json.dumps({key: value for key, value in asdict(outcome).items() if value is not None})


class CsvReport:
    """Verify results streamed to a temporary CSV next to `path`, moved into place at the end."""

    COLUMNS = ("file", "bits", "matching", "bit_accuracy", "p_value", "present")

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> CsvReport:
        self.temporary = temporary_beside(self.path)
        self.file = open(self.temporary, "w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(self.COLUMNS)
        return self

    def add(self, source: str, verdict: dict) -> None:
        self.writer.writerow([source, *(verdict[column] for column in self.COLUMNS[1:])])

    def __exit__(self, *exc) -> None:
        self.file.close()
        if exc[0] is None:
            publish(self.temporary, self.path, force=True)
        else:
            os.unlink(self.temporary)
