"""Image quality and bit-agreement measures on numpy arrays."""

from __future__ import annotations

import cv2
import numpy as np

from .luma import luma
from .rows import row_chunks


def psnr(original: np.ndarray, marked: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all channels, peak = the integer type's maximum."""
    peak = float(np.iinfo(original.dtype).max) if original.dtype.kind in "ui" else 1.0
    squares = 0.0
    for rows in row_chunks(original.shape[0]):
        squares += cv2.norm(original[rows], marked[rows], cv2.NORM_L2SQR)
    error = squares / original.size
    return float("inf") if error == 0 else float(10.0 * np.log10(peak**2 / error))


def ssim(original: np.ndarray, marked: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004, 11×11 Gaussian window σ=1.5) on luma."""
    a, b = (luma(image.astype(np.float64)) for image in (original, marked))
    peak = float(np.iinfo(original.dtype).max) if original.dtype.kind in "ui" else 1.0
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    covariance = blur(a * b) - mu_a * mu_b
    numerator = (2 * mu_a * mu_b + c1) * (2 * covariance + c2)
    denominator = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(numerator / denominator))


def bit_accuracy(expected: np.ndarray, soft: np.ndarray) -> float:
    """Share of plane bits read right: `soft` thresholded at 0.5 against binary `expected`."""
    return float(np.mean((np.asarray(soft) > 0.5) == (np.asarray(expected) > 0.5)))
