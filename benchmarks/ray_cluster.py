"""A two-node Ray cluster on this machine runs `wm batch embed` on 40 photos; files per node.

Usage: python benchmarks/ray_cluster.py [--photos data/photos] [--count 40] [--host 127.0.0.2]
                                        [--out DIR]

Starts a head and a worker node with `ray start --block` (one CPU each, on a loopback
address), waits for both, runs `wm batch embed … --engine ray --address HOST:6379 --log …`
on batch_speed.py's inputs (1920 px JPEGs), counts the files each node did from the log's
`node` field, checks one valid output per input, then stops the two nodes it started (by
their process, not `ray stop`, which would end every Ray on the machine). Writes
DIR/ray_cluster.md.

The default host is 127.0.0.2, loopback like 127.0.0.1: Ray replaces 127.0.0.1 and localhost
by the machine's network address when nodes connect; it leaves other loopback addresses alone.
Ray 2.60 turns token authentication on for a new cluster, so every command here runs with
RAY_AUTH_MODE=token and the token in ~/.ray/auth_token (made by the head if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from batch_speed import make_inputs

from watermark.app.io import read_image
from watermark.nets.runtime import assets_dir

PORT = 6379
ENV = {**os.environ, "RAY_AUTH_MODE": "token"}
# Where Ray notes the cluster started on this machine, for `--address auto`; only `ray stop`
# clears it
CURRENT_CLUSTER = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"


def tool(name: str) -> str:
    """A console script of this environment (ray, wm), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name) or name


def start_node(stack: ExitStack, log: Path, *options: str) -> None:
    """`ray start --block …` in the background, stopped (SIGTERM, by pid) when `stack` closes."""
    command = [tool("ray"), "start", "--num-cpus=1", "--block", *options]
    process = subprocess.Popen(command, env=ENV, stdout=log.open("w"), stderr=subprocess.STDOUT)
    stack.callback(stop, process)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def forget_cluster(address: str) -> None:
    """Clear Ray's note of the stopped cluster, so that `--address auto` looks for no other."""
    if CURRENT_CLUSTER.exists() and CURRENT_CLUSTER.read_text().strip() == address:
        CURRENT_CLUSTER.unlink()


def wait_for_cpus(address: str, cpus: int, patience: float = 120) -> None:
    """Until the cluster counts `cpus` CPUs: every node has joined."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        status = subprocess.run(
            [tool("ray"), "status", "--address", address], env=ENV, capture_output=True, text=True
        )
        if f"/{cpus}.0 CPU" in status.stdout:
            return
        time.sleep(2)
    raise SystemExit(f"the cluster at {address} never had {cpus} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("data/photos"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    address = f"{args.host}:{PORT}"
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        shared = Path(folder)  # the folder every node sees: here, the one machine's disk
        source, out, log = shared / "photos", shared / "out", shared / "log.jsonl"
        source.mkdir()
        make_inputs(args.photos, source, args.count)
        stack.callback(forget_cluster, address)  # once the nodes have stopped
        head = ["--head", f"--node-ip-address={args.host}", f"--port={PORT}"]
        start_node(stack, shared / "head.log", *head, "--include-dashboard=false")
        wait_for_cpus(address, 1)
        start_node(
            stack, shared / "worker.log", f"--address={address}", f"--node-ip-address={args.host}"
        )
        wait_for_cpus(address, 2)
        mark = str(assets_dir() / "mark.png")
        command = [tool("wm"), "batch", "embed", str(source), str(out), mark]
        command += ["--engine", "ray", "--address", address, "--log", str(log)]
        started = time.perf_counter()
        result = subprocess.run(command, env=ENV, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
        nodes = Counter(json.loads(line)["node"] for line in log.open())
        outputs = sorted(out.iterdir())
        for path in outputs:
            read_image(path)  # raises on a broken file
        names_kept = [p.name for p in outputs] == sorted(p.name for p in source.iterdir())
    report = (
        f"Two Ray nodes on one machine (`ray start`, one CPU each, {address}), "
        f"`wm batch embed` on {args.count} JPEG photos at 1920 px:\n\n"
        "```\n"
        f"ray start --head --node-ip-address={args.host} --port={PORT} --num-cpus=1\n"
        f"ray start --address={address} --node-ip-address={args.host} --num-cpus=1\n"
        f"wm batch embed photos out mark.png --engine ray --address {address} --log log.jsonl\n"
        f"{result.stdout.strip()}\n"
        "```\n\n"
        "| Ray node | files |\n|---|---|\n"
        + "\n".join(f"| {node} | {n} |" for node, n in nodes.most_common())
        + f"\n\n{len(outputs)} outputs for {args.count} inputs, every one readable, names "
        f"kept: {'yes' if names_kept else 'NO'}; the command took {seconds:.1f} s (the cluster "
        "already running).\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ray_cluster.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
