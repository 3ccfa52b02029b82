"""Throughput of `wm batch embed --engine ray` against the local engine, 200 photos at 1920 px.

Usage: python benchmarks/ray_speed.py [--photos data/photos] [--count 200] [--runs 2] [--out DIR]

The inputs are batch_speed.py's (JPEG crops of the fetched photos, 1920 px on the long side).
Both engines run the whole command with their defaults (local: a worker process per core; ray:
a Ray started by `wm` on this machine, an actor per CPU), taking turns, `--runs` times each;
images/s is the count over the command's wall time, Ray's start-up included, and again without
each engine's fixed cost (the command on an empty folder); Ray's start-up and shut-down is
what `--engine ray` adds there. Outputs of the two engines are compared byte for byte. Before
each run (and the empty-folder runs) it waits for a 1-minute load under 0.7: nothing else
running, its own last run faded. Writes DIR/ray.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from batch_speed import make_inputs

from watermark.nets.runtime import assets_dir, usable_cores

QUIET_LOAD = 0.7


def wait_for_quiet(patience: float = 1800) -> float:
    """The 1-minute load once it is under QUIET_LOAD (another job would skew the timings)."""
    deadline = time.monotonic() + patience
    while (load := os.getloadavg()[0]) >= QUIET_LOAD:
        if time.monotonic() > deadline:
            raise SystemExit(f"load stayed at {load:.2f} or more; not timing")
        print(f"1-minute load {load:.2f}: waiting", file=sys.stderr, flush=True)
        time.sleep(30)
    return load


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def embed_command(source: Path, out: Path, engine: str, log: Path | None = None) -> list[str]:
    wm = shutil.which("wm") or "wm"
    mark = str(assets_dir() / "mark.png")
    command = [wm, "batch", "embed", str(source), str(out), mark, "--engine", engine]
    return command + (["--log", str(log)] if log else [])


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        (a / name).read_bytes() == (b / name).read_bytes() for name in names
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {"local": [], "ray": []}
    startup: dict[str, list[float]] = {"local": [], "ray": []}
    with tempfile.TemporaryDirectory() as folder:
        source, empty = Path(folder) / "in", Path(folder) / "empty"
        source.mkdir(), empty.mkdir()
        make_inputs(args.photos, source, args.count)
        loads = []
        for run in range(args.runs):
            for engine in seconds:
                loads.append(wait_for_quiet())
                out, log = Path(folder) / f"{engine}{run}", Path(folder) / f"{engine}{run}.jsonl"
                seconds[engine].append(timed(embed_command(source, out, engine, log)))
                print(f"{engine}: {seconds[engine][-1]:.1f} s", file=sys.stderr, flush=True)
        loads.append(wait_for_quiet())
        for _ in range(3):
            for engine in startup:
                out = Path(folder) / f"empty-{engine}"
                startup[engine].append(timed(embed_command(empty, out, engine)))
        identical = all(
            same_files(Path(folder) / f"local{run}", Path(folder) / f"ray{run}")
            for run in range(args.runs)
        )
        entries = [json.loads(line) for line in (Path(folder) / "ray0.jsonl").open()]
        nodes = Counter(entry["node"][:12] for entry in entries)
    report = describe(args.count, seconds, startup, identical, nodes, max(loads))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ray.md").write_text(report)
    print(report)


def describe(count, seconds, startup, identical, nodes, load) -> str:
    """The report. Besides the whole command, each engine's rate without its fixed cost: the
    median time of the same command on an empty folder (Python, imports, and for Ray its
    start and stop), which a larger batch spreads over more files."""
    fixed = {engine: statistics.median(times) for engine, times in startup.items()}
    rows, rates, net = [], {}, {}
    for engine, times in seconds.items():
        median = statistics.median(times)
        rates[engine], net[engine] = count / median, count / (median - fixed[engine])
        runs = " / ".join(f"{s:.1f}" for s in times)
        rows.append(
            f"| {engine} | {runs} | {rates[engine]:.2f} | {fixed[engine]:.1f} | {net[engine]:.2f} |"
        )
    return (
        f"`wm batch embed` on {count} JPEG photos at 1920 px (quality 90 in, 95 out), whole "
        f"command timed, each engine with its defaults, {usable_cores()} cores; 1-minute load "
        f"at most {load:.2f} when each run began.\n\n"
        "| engine | seconds (each run) | images/s (median run) | empty folder, s | images/s "
        "without it |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"- ray over local, whole command: {rates['ray'] / rates['local']:.2f}×; without the "
        f"fixed cost: {net['ray'] / net['local']:.2f}×\n"
        f"- Ray start-up and shut-down (what `--engine ray` adds on an empty folder): "
        f"{fixed['ray'] - fixed['local']:.1f} s\n"
        f"- outputs of the two engines byte-identical: {'yes' if identical else 'NO'}\n"
        f"- files per Ray node (first run): "
        + ", ".join(f"{node}…: {n}" for node, n in nodes.items())
        + "\n"
    )


if __name__ == "__main__":
    main()
