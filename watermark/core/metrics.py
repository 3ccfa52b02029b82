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


def block_errors(original: np.ndarray, marked: np.ndarray, block: int = 32) -> np.ndarray:
    """Mean squared error of each whole `block`×`block` block (rows, cols), channels averaged."""
    error = (original.astype(np.float64) - marked.astype(np.float64)) ** 2
    if error.ndim == 3:
        error = error.mean(axis=2)
    rows, cols = error.shape[0] // block, error.shape[1] // block
    return error[: rows * block, : cols * block].reshape(rows, block, cols, block).mean(axis=(1, 3))


def worst_block_psnr(
    original: np.ndarray, marked: np.ndarray, block: int = 32, share: float = 0.001
) -> float:
    """PSNR of the `share` of `block`×`block` blocks that changed most (at least one block):
    what a close look at the worst spot sees, which the whole image's PSNR averages away."""
    peak = float(np.iinfo(original.dtype).max)
    worst = np.sort(block_errors(original, marked, block).ravel())[::-1]
    mse = worst[: max(1, round(share * worst.size))].mean()
    return float("inf") if mse == 0 else float(10.0 * np.log10(peak**2 / mse))


def largest_change(original: np.ndarray, marked: np.ndarray) -> int:
    """The largest change of any pixel value, in the image's own levels."""
    return int(np.abs(original.astype(np.int64) - marked.astype(np.int64)).max())
