"""Luma, the one brightness everything works on: what the networks see, what marks are
thresholded on, what SSIM compares.

ITU-R BT.601 weights, as OpenCV's RGB2GRAY and JPEG's Y. Integer images go through OpenCV,
which rounds to the same integer type (the networks' input is made from that, so embedding is
exact and cheap on huge photos); float images keep their type and precision.
"""

from __future__ import annotations

import cv2
import numpy as np

LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def luma(image: np.ndarray) -> np.ndarray:
    """H×W×3 RGB -> H×W luma of the same dtype; an H×W (grey) image is its own luma."""
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"images must be H×W×3 RGB or H×W grey, not shape {image.shape}")
    if image.dtype.kind == "f":
        return image @ np.asarray(LUMA_WEIGHTS, image.dtype)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
