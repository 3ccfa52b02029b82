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
lays them out for another photo, for the public embedder (`Watermarker.embed_cells`). Under a
secret key the keyed cells are bound to the photo (`binding`), so a copy turns them over at
random; but two photos marked with one key and one mark have the same keyed cells but for
their content hashes, so the product of their readings is the product of their hashes, and
`learned_pattern` estimates the key's hash pattern from it; `rebound_cells` then copies the
cells with the hash of the photo they go to.
These are for measuring (`benchmarks/security.py`), not for a user.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import ModelConfig, SyncConfig
from .binding import neighbourhoods, over_floor, trend_basis
from .lattice import fine_detail
from .luma import luma
from .reading import Network, map_at
from .tiling import centre_cell, keyed_cells, resize, working_shape

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
    working = _working_luma(image, model)
    return (map_at(working, (0, 0), extractor, model) > 0.5).astype(np.float32)


def _working_luma(image: np.ndarray, model: ModelConfig) -> np.ndarray:
    """An 8-bit photo's luma in [0, 1] at the size it was embedded at."""
    grey = luma(image)
    return resize(grey, working_shape(*grey.shape, model)).astype(np.float32) / 255


def learned_pattern(
    first: np.ndarray, second: np.ndarray, extractor: Network, model: ModelConfig
) -> np.ndarray:
    """The key's hash pattern (`binding`) from two photos marked with one key and one mark.
    At a keyed cell the same offset from both centres the two carry the same bit and flip but
    for their hashes, so the product s of their ±1 readings is the product of their hashes
    (pattern·n₁ and pattern·n₂ against the floor; n: the cell's block means, trends taken
    out); the expectation of s·n₁n₂ᵀ then leans on pattern·patternᵀ, and its leading
    eigenvector is the pattern up to its sign: the sign whose hashes explain s better."""
    signs, hoods = [], []
    for image in (first, second):
        working = _working_luma(image, model)
        signs.append(2.0 * (map_at(working, (0, 0), extractor, model) > 0.5) - 1.0)
        hoods.append(neighbourhoods(working, model))
    reach = [
        min(
            min(centre_cell(sign.shape)[axis], sign.shape[axis] - centre_cell(sign.shape)[axis])
            for sign in signs
        )
        for axis in (0, 1)
    ]
    common = [_about_centre(array, reach) for array in (*signs, *hoods)]
    keyed = keyed_cells(common[0].shape, None, model)
    basis = trend_basis(model.binding_span)
    first_hoods, second_hoods = (hood[keyed] - hood[keyed] @ basis @ basis.T for hood in common[2:])
    product = (common[0] * common[1])[keyed]
    moment = (first_hoods * product[:, None]).T @ second_hoods
    values, vectors = np.linalg.eigh(moment + moment.T)
    leading = vectors[:, int(np.argmax(values))].astype(np.float32)
    return max(
        (leading, -leading),
        key=lambda pattern: _agreement(pattern, common[2][keyed], common[3][keyed], product, model),
    )


def _agreement(
    pattern: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    product: np.ndarray,
    model: ModelConfig,
) -> float:
    """How often the hashes `pattern` gives two cells' neighbourhoods flip them alike where
    their readings (`product`: +1 alike, −1 not) say so."""
    alike = _flipped(first, pattern, model) == _flipped(second, pattern, model)
    return float(np.mean(alike == (product > 0)))


def _flipped(hoods: np.ndarray, pattern: np.ndarray, model: ModelConfig) -> np.ndarray:
    """Where the hash `pattern` gives flips a cell of these neighbourhoods (see `binding`)."""
    return over_floor(hoods, pattern, model) > 0


def _about_centre(array: np.ndarray, reach: list[int]) -> np.ndarray:
    """The cells within `reach` (rows, cols) of a map's centre cell, either way."""
    row, col = centre_cell(array.shape[:2])
    return array[row - reach[0] : row + reach[0], col - reach[1] : col + reach[1]]


def rebound_cells(
    marked: np.ndarray,
    onto: np.ndarray,
    pattern: np.ndarray,
    extractor: Network,
    model: ModelConfig,
) -> np.ndarray:
    """The cells of `marked` laid out for `onto` (as `copy_cells`), each keyed cell turned over
    where the hash `pattern` gives differs between the two."""
    source = _working_luma(marked, model)
    target = _working_luma(onto, model)
    cells = read_cells(marked, extractor, model)
    source_hash = _flipped(neighbourhoods(source, model), pattern, model).astype(np.float32)
    shape = target.shape
    copied = copy_cells(cells, shape, model) > 0.5
    moved = (copy_cells(source_hash, shape, model) > 0.5) ^ _flipped(
        neighbourhoods(target, model), pattern, model
    )
    return (copied ^ (moved & keyed_cells(copied.shape, None, model))).astype(np.float32)


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
