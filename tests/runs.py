"""A batch run killed midway and started again, for either engine's tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tests.images import photo
from watermark.app.io import read_image

ROOT = Path(__file__).resolve().parent.parent


def assert_a_killed_run_resumes(
    tmp_path: Path, mark: Path, count: int, shape: tuple[int, int], options: list[str], wait: float
) -> None:
    """`wm batch embed` on `count` photos of `shape`, killed (SIGKILL) as soon as an output
    appears (within `wait` s), then run again: exactly one valid output per input, no
    temporary file left."""
    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    for seed in range(count):
        Image.fromarray(photo(*shape, seed=seed)).save(source / f"p{seed:02d}.png")
    command = [sys.executable, "-m", "cli", "batch", "embed", str(source), str(out), str(mark)]
    process = subprocess.Popen([*command, *options], cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait
    while not (out.exists() and any(out.glob("*.png"))) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(out.glob("*.png")))
    assert 0 < finished < count, "the kill should land mid-run"

    subprocess.run([*command, *options], cwd=ROOT, capture_output=True, check=False)
    outputs = sorted(p.name for p in out.iterdir())
    assert outputs == sorted(p.name for p in source.iterdir())  # one each, no temp files left
    for path in out.iterdir():
        assert read_image(path).pixels.shape == (*shape, 3)
