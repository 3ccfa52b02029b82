"""Attacks by someone who has read this code but holds no key: estimate the mark from one marked
photo, then subtract it (strip) or add it to another photo (forge a copy).

Two estimates of the residual the embedder added:
- `fold_estimate` knows the layout (`tiling`): the residual repeats with one period from the
  working image's centre, so the photo's fine detail averaged over all periods keeps what
  repeats (the mark) and averages away what does not (the photo);
- `denoise_estimate` knows nothing: the photo minus a median-filtered copy (Kutter,
  Voloshynovskiy and Herrigel, "The watermark copy attack", 2000), the photo's own fine detail
  included.
Both are luma, in grey levels, at the photo's size; `paid` scales one to cost the attacker a
given PSNR. Neither estimates the keyed cells (see `layout`) better than the photo's noise
allows. A third attack copies the mark itself: `read_cells` runs the public extractor on the
marked photo, which reads every cell as it is, keyed or not (no key needed), and `copy_cells`
lays them out for another photo, for the public embedder (`Watermarker.embed_cells`).
These are for measuring (`benchmarks/security.py`), not for a user.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import ModelConfig, SyncConfig
from .lattice import fine_detail
from .luma import luma
from .reading import Network, map_at
from .tiling import centre_cell, resize, working_shape

MEDIAN_SIZE = 3  # px: Kutter et al.'s denoiser, a 3×3 median filter


def fold_estimate(image: np.ndarray, model: ModelConfig, sync: SyncConfig) -> np.ndarray:
    """The repeating part of `image`'s fine detail (as the reader's lattice search sees it, see
    `lattice.fine_detail`): averaged over every period of the working image (from its centre,
    as `tiling.plane_map` lays the plane), tiled back, at full size, in grey levels."""
    detail = fine_detail(luma(image).astype(np.float32), sync)
    working = resize(detail, working_shape(*detail.shape, model))
    period = model.plane_size * model.cell
    cells = (working.shape[0] // model.cell, working.shape[1] // model.cell)
    top, left = (model.cell * index % period for index in centre_cell(cells))
    rows = (np.arange(working.shape[0]) - top) % period
    cols = (np.arange(working.shape[1]) - left) % period
    sums = np.zeros((period, period), np.float64)
    counts = np.zeros((period, period), np.float64)
    np.add.at(sums, (rows[:, None], cols[None, :]), working)
    np.add.at(counts, (rows[:, None], cols[None, :]), 1.0)
    template = (sums / np.maximum(counts, 1.0)).astype(np.float32)
    return resize(template[np.ix_(rows, cols)], detail.shape)


def denoise_estimate(image: np.ndarray, size: int = MEDIAN_SIZE) -> np.ndarray:
    """`image` minus its median filter, on luma (the generic copy attack's estimate)."""
    grey = luma(image)
    return grey.astype(np.float32) - cv2.medianBlur(grey, size).astype(np.float32)


def paid(image: np.ndarray, estimate: np.ndarray, decibels: float, sign: float) -> np.ndarray:
    """`image` + sign·k·`estimate` on every channel, k such that the change costs `decibels`
    of PSNR against `image` (before rounding)."""
    if image.shape[:2] != estimate.shape:
        estimate = resize(estimate, image.shape[:2])
    power = float(np.mean(estimate.astype(np.float64) ** 2))
    target = 255.0**2 / 10 ** (decibels / 10)
    scale = np.sqrt(target / power) if power > 0 else 0.0
    change = (sign * scale * estimate)[..., None] if image.ndim == 3 else sign * scale * estimate
    return np.clip(np.rint(image + change), 0, 255).astype(np.uint8)


def strip(image: np.ndarray, estimate: np.ndarray, decibels: float) -> np.ndarray:
    """The marked `image` with the estimate taken out, at a cost of `decibels`."""
    return paid(image, estimate, decibels, -1.0)


def forge(onto: np.ndarray, estimate: np.ndarray, decibels: float) -> np.ndarray:
    """Another photo, `onto`, with the estimate added at a cost of `decibels`."""
    return paid(onto, estimate, decibels, +1.0)


def read_cells(image: np.ndarray, extractor: Network, model: ModelConfig) -> np.ndarray:
    """The cells of a marked 8-bit photo as the extractor reads them (0/1), at the size the
    photo was embedded at: its centre cell holds the plane's first bit."""
    grey = luma(image)
    working = resize(grey, working_shape(*grey.shape, model)).astype(np.float32) / 255
    return (map_at(working, (0, 0), extractor, model) > 0.5).astype(np.float32)


def copy_cells(cells: np.ndarray, shape: tuple[int, int], model: ModelConfig) -> np.ndarray:
    """`cells` laid out for a working image of `shape` (height, width), centre on centre, as
    the reader expects them; where the other image reaches past them, the nearest copy of the
    plane that `cells` holds (a whole number of periods in) fills in."""
    period = model.plane_size
    indices = []
    for target, source, centre in zip(
        (side // model.cell for side in shape), cells.shape, centre_cell(cells.shape), strict=True
    ):
        index = np.arange(target) - target // 2 + centre
        outside = (index < 0) | (index >= source)
        index[outside] = centre + (index[outside] - centre) % period
        indices.append(np.clip(index, 0, source - 1))
    return cells[np.ix_(*indices)]
