"""wm: invisible, robust image watermarking.

The layers, bottom up: `config` (every tunable number); `core` (pure functions on numpy
arrays); `nets` (the Keras models and how they are run); `watermarker` (the Python API: core
and networks together); `training` (how the networks are made, with TensorFlow); `app` (files,
folders, reports); `cli.py`, beside the package, parses and prints.

`from watermark import Watermarker` is cheap: nothing imports TensorFlow until a network is
needed, and the default inference backend (LiteRT) never does.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Extraction", "ImageTooSmall", "MarkError", "Watermarker", "__version__"]


def __getattr__(name: str):
    if name in ("Watermarker", "Extraction", "ImageTooSmall"):
        from . import watermarker

        return getattr(watermarker, name)
    if name == "MarkError":
        from .core.marks import MarkError

        return MarkError
    raise AttributeError(f"module 'watermark' has no attribute {name!r}")
