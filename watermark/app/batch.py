"""Watermarking whole folders: a streamed file list, worker processes, resumable outputs.

`plan` walks the source tree and yields a `Job` per file to do (or an `Outcome` settled without
work: output already there, not an image, a name taken twice); an engine runs the jobs. Each
worker process loads the networks once (pool initializer) and handles whole files (decode,
network, encode), so with N workers N files are in flight and their stages overlap. Outputs
are written atomically, so a killed run leaves only complete files, and a re-run skips every
output that exists (`overwrite` redoes them). The file list is a generator: memory does not
grow with the folder. `run` is the local engine (a process pool); `ray_engine.run` does the
same jobs on Ray actors, and `batch_folder` takes either (`engine_run`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

import numpy as np

from ..nets.runtime import usable_cores
from . import formats
from .atomic import remove_stale_temporaries
from .errors import ImageError
from .report import CsvReport, Outcome, Summary
from .tasks import Task, Worker


@dataclass(frozen=True)
class Job:
    """One file's work: the task, where from, where to, and whether to replace an output."""

    task: Task
    source: Path
    output: Path | None
    force: bool = False


def sniffed_format(path: Path) -> formats.Format | None:
    """The format an image file's first bytes call for (None: not an image we read)."""
    try:
        with open(path, "rb") as handle:
            return formats.by_content(handle.read(formats.MAGIC_BYTES))
    except OSError:
        return None


def is_image(path: Path) -> bool:
    """By extension and by the first bytes (a .jpg that is really text is still 'an image'
    here and fails later with its reason: the user named it as one)."""
    return formats.by_suffix(path) is not None or sniffed_format(path) is not None


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


def images_under(source: Path, recursive: bool = True) -> Iterator[Path]:
    return (path for path in walk(source, recursive) if is_image(path))


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


def plan(
    task: Task,
    source: Path,
    out: Path | None,
    recursive: bool = True,
    overwrite: bool = False,
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
            target = out / task.output_name(relative, partial(sniffed_format, file))
            if target.parent not in cleaned:  # the next folder (`walk` does one at a time)
                claimed.clear()  # names collide only within a folder: memory stays a folder's
                remove_stale_temporaries(target.parent)
                cleaned.add(target.parent)
            if target in claimed:
                reason = f"{file}: output {target} is already taken by {claimed[target]}"
                yield Outcome(str(file), "failed", reason=reason)
                continue
            claimed[target] = file
            if target.exists() and not overwrite:
                yield Outcome(str(file), "skipped", str(target))
                continue
        yield Job(task, file, target, overwrite)


_worker: dict[str, Worker] = {}


def start_worker(threads: int, plane: np.ndarray | None) -> Worker:
    """This process's worker: the networks, loaded once, and the batch's plane."""
    from ..watermarker import Watermarker

    _worker["current"] = Worker(Watermarker(threads=threads), plane)
    return _worker["current"]


def run_job(job: Job, worker: Worker | None = None) -> Outcome:
    """One file, start to end; every failure becomes the file's outcome, never the batch's."""
    worker = worker or _worker["current"]
    started = time.perf_counter()
    outcome = Outcome(str(job.source), "done", str(job.output) if job.output else None)
    try:
        if job.output is not None:
            job.output.parent.mkdir(parents=True, exist_ok=True)
        job.task.run(job.source, job.output, job.force, worker, outcome)
    except ImageError as error:
        outcome.status, outcome.reason = "failed", str(error)
    except Exception as error:  # a bug or an exotic file must not stop the other files
        outcome.status, outcome.reason = "failed", f"{job.source}: {type(error).__name__}: {error}"
    outcome.seconds = time.perf_counter() - started
    return outcome


@contextmanager
def tally(
    on_outcome: Callable[[Outcome], None] | None,
) -> Iterator[tuple[Summary, Callable[[Outcome], None]]]:
    """A batch's summary and the `record` every engine calls with each outcome: counted, then
    passed to `on_outcome` unless not worth reporting (not an image). The summary's seconds
    are the block's: the engine's start-up and shut-down included."""
    summary = Summary()
    started = time.perf_counter()

    def record(outcome: Outcome) -> None:
        if summary.record(outcome) and on_outcome:
            on_outcome(outcome)

    yield summary, record
    summary.seconds = time.perf_counter() - started


def run(
    work: Iterator[Job | Outcome],
    workers: int | None = None,
    plane: np.ndarray | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Summary:
    """Run the planned work with `workers` processes (None: one per core; 1: in this process).

    A worker that dies (killed for memory, a crash in native code) fails the files it held,
    and the pool is restarted for the rest: the batch neither hangs nor stops.
    """
    workers = workers or usable_cores()
    threads = max(1, usable_cores() // workers)
    with tally(on_outcome) as (summary, record):
        if workers == 1:
            worker = start_worker(threads, plane)
            for item in work:
                record(item if isinstance(item, Outcome) else run_job(item, worker))
        else:
            _run_in_pool(work, workers, threads, plane, record)
    return summary


def _run_in_pool(work, workers: int, threads: int, plane, record) -> None:
    context = multiprocessing.get_context("spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, context, start_worker, (threads, plane))

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
            pending.extend((item, pool.submit(run_job, item)) for item in retry)

    try:
        for item in work:
            if isinstance(item, Outcome):
                record(item)
                continue
            pending.append((item, pool.submit(run_job, item)))
            while len(pending) >= 2 * workers:  # a bounded window: the file list streams
                settle_oldest()
        while pending:
            settle_oldest()
    finally:
        pool.shutdown()


def engine_run(engine: str, address: str | None = None) -> Callable[..., Summary]:
    """The `run` of an engine: "local" (processes on this machine) or "ray" (actors on the Ray
    cluster at `address`). The Ray engine's module imports Ray, so Ray is imported only when
    asked for, and a missing Ray fails here, before any file is touched."""
    if engine == "local":
        return run
    if engine == "ray":
        try:
            from . import ray_engine
        except ModuleNotFoundError as error:
            if error.name != "ray":
                raise
            raise ImageError('--engine ray needs Ray: pip install "wm[ray]"') from None
        return partial(ray_engine.run, address=address)
    raise ValueError(f"engine {engine!r}: not local or ray")


def _opened_log(path: Path) -> IO:
    """The JSONL log, opened to append (a bad path is the user's one-line error)."""
    try:
        return open(path, "a")
    except OSError as error:
        raise ImageError(f"{path}: cannot write the log ({error.strerror or error})") from None


def batch_folder(
    task: Task,
    source: Path,
    out: Path | None,
    mark: Path | None = None,
    workers: int | None = None,
    recursive: bool = True,
    overwrite: bool = False,
    log_path: Path | None = None,
    csv_path: Path | None = None,
    engine: str = "local",
    address: str | None = None,
) -> Summary:
    """`task` on every image under `source` (with `mark`, to embed or verify), outputs under
    `out`: planned, run with a progress bar (count, ETA), each outcome appended to the JSONL
    log and, for verify, to the CSV (which `overwrite` may replace). `engine` "local" runs
    `workers` processes here (default: one per core); "ray" runs `workers` Ray actors
    (default: one per CPU of the cluster) on the cluster at `address` (default: a Ray
    started here)."""
    from tqdm import tqdm

    from ..watermarker import Watermarker
    from .files import read_mark

    run_engine = engine_run(engine, address)
    check_folders(source, out)
    plane = read_mark(mark, Watermarker()) if mark else None
    total = sum(1 for _ in images_under(source, recursive))  # a count for the ETA; names not kept
    with ExitStack() as stack:
        bar = stack.enter_context(tqdm(total=total, unit="image", desc=task.name))
        log = stack.enter_context(_opened_log(log_path)) if log_path else None
        table = stack.enter_context(CsvReport(csv_path, overwrite)) if csv_path else None

        def on_outcome(outcome: Outcome) -> None:
            bar.update()
            if log:
                log.write(outcome.log_line() + "\n")
            for line in outcome.notes or []:
                bar.write(f"wm: note: {outcome.source}: {line}", file=sys.stderr)
            if table:
                table.add(outcome)

        return run_engine(plan(task, source, out, recursive, overwrite), workers, plane, on_outcome)
