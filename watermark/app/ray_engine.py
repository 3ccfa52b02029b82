"""The Ray engine (`wm batch … --engine ray`): the local engine's jobs, done by Ray actors.

This process (the driver) walks the tree with `plan`, as the local engine does, and hands each
job to one of a fixed set of actors spread over the cluster's nodes. An actor loads the networks
once (`start_worker`) and does whole files with `run_job`, which writes each output atomically
under its final path; the paths must therefore name a folder every node sees, at the same
place. Outputs, skips, failures, the log and the CSV are the local engine's; outcomes come back
in the order files finish, each with the node that did it.

Actors fed by hand, rather than `ray.util.ActorPool` or Ray Data's `map_batches`:
- the plan is a stream made on the driver (it claims output names, removes stale temporaries
  and settles skips as it goes); Ray Data wants a dataset (a list, or a datasource it splits
  and reads in parallel) and brings its own buffering, retries and progress bars;
- each actor holds one job at a time, so when a worker process dies, exactly the file it was
  doing fails (as with the local engine) and the actor restarts for the others. ActorPool
  either returns results without saying which job they belong to (unordered), or waits on the
  oldest job while finished actors idle (ordered), and it drops an actor that died.
One job per actor costs a round trip between files: about a millisecond, against a fraction of
a second per photo.

Importing this module imports Ray; `batch.engine_run` imports it only for `--engine ray`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

import numpy as np
import ray

from ..nets.runtime import usable_cores
from .batch import Job, run_job, start_worker, tally
from .errors import ImageError
from .report import Outcome, Summary


class BatchActor:
    """A Ray actor's state: the networks (loaded once) and the node it runs on."""

    def __init__(self, plane: np.ndarray | None, folder: str):
        os.chdir(folder)  # relative paths mean on every node what they mean on the driver
        self.worker = start_worker(1, plane)
        self.node = ray.get_runtime_context().get_node_id()

    def ready(self) -> str:
        return self.node

    def run(self, job: Job) -> Outcome:
        outcome = run_job(job, self.worker)
        outcome.node = self.node
        return outcome


def run(
    work: Iterator[Job | Outcome],
    workers: int | None,
    plane: np.ndarray | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    address: str | None = None,
) -> Summary:
    """Run the planned work on `workers` Ray actors (None: one per CPU of the cluster), on the
    cluster at `address` (None: a Ray started for this batch on this machine's cores).

    Ray's own messages (a worker's death, for one) go to stderr: stdout keeps only what `wm`
    prints.
    """
    with tally(on_outcome) as (summary, record), redirect_stdout(sys.stderr):
        with _connected(address):
            _feed(work, _start_actors(workers, plane), record)
    return summary


@contextmanager
def _connected(address: str | None) -> Iterator[None]:
    """A Ray session for the batch: the caller's, if it already has one (left as it is); else
    the cluster at `address`; else a new local instance, even where a cluster runs on this
    machine (`--address auto` joins that). What this starts, it shuts down."""
    if ray.is_initialized():
        yield
        return
    try:
        ray.init(
            address=address or "local",
            num_cpus=None if address else usable_cores(),
            include_dashboard=False,
            log_to_driver=False,  # the actors' own output (LiteRT's notes) stays in Ray's logs
            logging_level=logging.WARNING,
        )
    except ConnectionError as error:
        raise ImageError(f"cannot reach the Ray cluster at {address}: {error}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _start_actors(workers: int | None, plane: np.ndarray | None) -> list:
    """The actors, started and spread over the nodes; each restarts if its process dies, and a
    job it held then fails (not retried: a file that kills its worker would kill the next).
    An actor takes one CPU (and runs its networks on one thread), so it fits on any node, and
    asking for more actors than the cluster has CPUs is refused rather than left waiting."""
    cpus = int(ray.cluster_resources().get("CPU", 0))
    count = workers or cpus
    if not 0 < count <= cpus:
        raise ImageError(f"{count} Ray workers asked for, one CPU each; the cluster has {cpus}")
    actor = ray.remote(BatchActor).options(
        num_cpus=1,
        max_restarts=-1,
        max_task_retries=0,
        scheduling_strategy="SPREAD",
    )
    actors = [actor.remote(plane, os.getcwd()) for _ in range(count)]
    try:
        ray.get([each.ready.remote() for each in actors])
    except ray.exceptions.RayActorError as error:  # the folder or wm missing on a node
        raise ImageError(f"a Ray worker could not start: {_last_line(error)}") from None
    return actors


def _feed(work: Iterator[Job | Outcome], actors: list, record: Callable[[Outcome], None]) -> None:
    """Keep every actor busy with one job, taking the next job from the stream as one frees."""
    idle = list(actors)
    running: dict[ray.ObjectRef, tuple[Job, Any]] = {}  # a job's result -> (job, actor)

    def settle_one() -> None:
        [done], _ = ray.wait(list(running))
        job, actor = running.pop(done)
        idle.append(actor)
        record(_outcome(done, job))

    for item in work:
        if isinstance(item, Outcome):
            record(item)
            continue
        if not idle:
            settle_one()
        actor = idle.pop()
        running[actor.run.remote(item)] = (item, actor)
    while running:
        settle_one()


def _outcome(done: ray.ObjectRef, job: Job) -> Outcome:
    """The job's outcome; `run_job` never raises, so an error here is Ray's: the actor's process
    (or node) died while doing this file."""
    try:
        return ray.get(done)
    except ray.exceptions.RayError as error:
        reason = f"{job.source}: the Ray worker died ({type(error).__name__}; out of memory?)"
        return Outcome(str(job.source), "failed", reason=reason)


def _last_line(error: Exception) -> str:
    """A Ray error's last line: the original exception (its message carries a traceback)."""
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else type(error).__name__
