"""wm: invisible, robust image watermarking.

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
        from .marks import MarkError

        return MarkError
    raise AttributeError(f"module 'watermark' has no attribute {name!r}")
