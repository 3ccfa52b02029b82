"""Running the trained networks: LiteRT (fast start-up) or Keras/TensorFlow (reference).

TensorFlow takes 5–10 s to import on a laptop CPU, longer than embedding itself, so inference
runs the LiteRT exports of the networks (`*.tflite`, made by `keras.Model.export`) with the
`ai-edge-litert` interpreter, which imports in a fraction of a second. The Keras files
(`*.keras`, loaded with `safe_mode=True`) are the reference and the fallback where LiteRT is
not installed; `WM_BACKEND=keras` or `backend="keras"` forces them. Both give the same outputs
to float rounding (tested).
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..core.reading import Network

BACKENDS = ("auto", "litert", "keras")


def usable_cores() -> int:
    """Cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def assets_dir() -> Path:
    """Where the shipped weights are: watermark/assets in an installed package (the wheel maps
    the repository's assets/ there), else assets/ at the top of a source tree."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "assets"
    return installed if (installed / "embedder.tflite").exists() else package.parent / "assets"


class LiteRTNetwork:
    """A LiteRT interpreter per input shape, the last `SHAPES_KEPT` kept: a reader alternates
    between a few shapes (the whole copy, its central window, the window a pixel off), and
    re-allocating an interpreter's tensors for each costs more than a small read."""

    SHAPES_KEPT = 8

    def __init__(self, path: Path, threads: int | None = None):
        self.path, self.threads = str(path), threads or usable_cores()
        self.interpreters: OrderedDict[tuple, object] = OrderedDict()
        probe = self._new_interpreter()
        # Exported inputs are named serving_default_<keras input name>:0, in any order.
        self.inputs = sorted(probe.get_input_details(), key=lambda d: _input_position(d["name"]))
        self.output = probe.get_output_details()[0]["index"]

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        interpreter = self._interpreter(tuple(array.shape for array in inputs))
        for detail, array in zip(self.inputs, inputs, strict=True):
            interpreter.set_tensor(detail["index"], np.ascontiguousarray(array, np.float32))
        interpreter.invoke()
        return interpreter.get_tensor(self.output)

    def _interpreter(self, shapes: tuple):
        """The interpreter kept for `shapes`, made and allocated if there is none (the one
        used longest ago then dropped past `SHAPES_KEPT`)."""
        if shapes in self.interpreters:
            self.interpreters.move_to_end(shapes)
            return self.interpreters[shapes]
        interpreter = self._new_interpreter()
        for detail, shape in zip(self.inputs, shapes, strict=True):
            interpreter.resize_tensor_input(detail["index"], shape)
        with _quiet_stderr():
            interpreter.allocate_tensors()
        self.interpreters[shapes] = interpreter
        if len(self.interpreters) > self.SHAPES_KEPT:
            self.interpreters.popitem(last=False)
        return interpreter

    def _new_interpreter(self):
        from ai_edge_litert.interpreter import Interpreter

        with _quiet_stderr():  # LiteRT logs an INFO line about its CPU delegate to fd 2
            return Interpreter(self.path, num_threads=self.threads)


@contextmanager
def _quiet_stderr():
    """Silence native code's writes to file descriptor 2 (Python's own errors still show)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_INPUT_ORDER = ("luma", "plane_map")


def _input_position(name: str) -> int:
    return next(i for i, key in enumerate(_INPUT_ORDER) if key in name)


class KerasNetwork:
    def __init__(self, path: Path):
        from .tf_env import keras, tf

        self.model = keras.models.load_model(path, safe_mode=True, compile=False)
        self.function = tf.function(self.model, reduce_retracing=True)

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        arguments = list(inputs) if len(inputs) > 1 else inputs[0]
        return self.function(arguments, training=False).numpy()


def choose_backend(backend: str = "auto") -> str:
    backend = os.environ.get("WM_BACKEND", backend) if backend == "auto" else backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:
            return "keras"
        return "litert"
    return backend


def load_network(
    name: str, folder: Path | None = None, backend: str = "auto", threads: int | None = None
) -> Network:
    """Load the network `name` ('embedder' or 'extractor') from `folder` (default: shipped)."""
    folder = folder or assets_dir()
    if choose_backend(backend) == "litert":
        return LiteRTNetwork(_existing(folder / f"{name}.tflite"), threads)
    return KerasNetwork(_existing(folder / f"{name}.keras"))


def _existing(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path}: model weights not found (is the package installed?)")
    return path
