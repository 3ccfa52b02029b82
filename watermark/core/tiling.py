"""Geometry between a photo, the networks' working resolution and the 32×32 plane.

Why a working resolution: the networks run on the image scaled so that its long side is at most
`work_long_side` (1024) px; the residual they produce is upsampled to the photo's size and added
there. The cost is bounded (a 50-megapixel photo costs the networks what a 1-megapixel one
does; only resizing is linear in pixels), and any resize of a large photo maps back onto the same
working grid, so the watermark survives resizing by construction (TrustMark and VideoSeal do the
same). The upsampled residual is also smoother at full size, which JPEG keeps well.

Why a periodic plane: the plane is tiled over the whole working image (one bit per 4×4 cell,
period 128 working px), so every bit is repeated in every part of the image. The extractor's
soft bit map is folded back modulo 32 and averaged: a 1920×1200 photo averages ~40 copies of
each bit, and any crop that keeps a 128 px square still holds every bit.

Why the tiling starts at the centre: the plane's first cell has its top-left corner at the
centre of the working image (working sides are multiples of two cells, so the centre is a cell
corner). Resizes, centred crops and rotations about the centre all keep the centre where it
was, so once `lattice.rectify` has undone the scale and rotation, the reader knows which cell is the
plane's first without having to guess it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import MODEL, ModelConfig


def working_shape(height: int, width: int, config: ModelConfig = MODEL) -> tuple[int, int]:
    """The size a photo is embedded at: a long side of `work_long_side` if it has that many
    pixels, else of `small_long_side` (enlarged at most `max_upscale` times), sides multiples of
    two cells.

    Why two fixed sizes: a resized copy of the photo, read at the same size, has the grid where
    the photo had it, so no search is needed (see `reading.locate`), at any size. A small photo
    is not worked at the large size, where its cells would be finer than JPEG keeps.
    """
    long_side = max(height, width)
    if long_side >= config.work_long_side:
        scale = config.work_long_side / long_side
    else:
        scale = min(config.small_long_side / long_side, config.max_upscale)
    return _with_min_side(height, width, scale, config)


def analysis_shape(height: int, width: int, config: ModelConfig = MODEL) -> tuple[int, int]:
    """The size a copy is read at: a long side of at most `work_long_side`, never enlarged (an
    enlarged copy would only blur the mark). `reading.locate` then finds the grid."""
    scale = min(1.0, config.work_long_side / max(height, width))
    return _with_min_side(height, width, scale, config)


def _with_min_side(height: int, width: int, scale: float, config: ModelConfig) -> tuple[int, int]:
    """Both sides scaled, the short one kept at `min_side` or more (long narrow images keep
    whole periods), rounded to pairs of cells."""
    scale = max(scale, min(1.0, config.min_side / min(height, width)))
    return round_to_cell(height * scale, config), round_to_cell(width * scale, config)


def round_to_cell(length: float, config: ModelConfig) -> int:
    """The nearest multiple of two cells (at least one pair): a working side, whose centre is a
    cell corner."""
    pair = 2 * config.cell
    return max(pair, round(length / pair) * pair)


def resize(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D array to (height, width): area averaging down, bilinear up."""
    height, width = shape
    if array.shape[:2] == (height, width):
        return array
    shrinking = height * width < array.shape[0] * array.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(array, (width, height), interpolation=interpolation)


def centre_cell(cells: tuple[int, int]) -> tuple[int, int]:
    """Index of the cell whose top-left corner is the centre of a map of `cells` (rows, cols)."""
    return cells[0] // 2, cells[1] // 2


def plane_map(plane: np.ndarray, shape: tuple[int, int], config: ModelConfig = MODEL) -> np.ndarray:
    """The plane tiled over a working image of `shape`, from its centre: one value per cell."""
    return tile(plane, (shape[0] // config.cell, shape[1] // config.cell))


def tile(
    plane: np.ndarray, cells: tuple[int, int], origin: tuple[int, int] | None = None
) -> np.ndarray:
    """The plane tiled over a map of `cells` (rows, cols), its first value at the cell
    `origin` (default: the centre cell), as float32."""
    row0, col0 = centre_cell(cells) if origin is None else origin
    row_index = (np.arange(cells[0]) - row0) % plane.shape[0]
    col_index = (np.arange(cells[1]) - col0) % plane.shape[1]
    return np.asarray(plane, np.float32)[np.ix_(row_index, col_index)]


def fold(
    bit_map: np.ndarray, origin: tuple[int, int] | None = None, config: ModelConfig = MODEL
) -> np.ndarray:
    """Average a soft bit map over all copies of the plane: (rows, cols) -> (32, 32).

    `origin` is the cell that holds the plane's first bit (default: the centre cell, as
    `plane_map` puts it); cells are grouped by their offset from it modulo 32. A plane position
    that no cell covers (images smaller than one period on a side) reads 0.5: no information.
    NaN cells count as not covered.
    """
    size = config.plane_size
    rows, cols = bit_map.shape
    row0, col0 = centre_cell((rows, cols)) if origin is None else origin
    padded = np.full((-(-rows // size) * size, -(-cols // size) * size), np.nan, np.float32)
    padded[:rows, :cols] = bit_map
    blocks = padded.reshape(padded.shape[0] // size, size, padded.shape[1] // size, size)
    counts = np.sum(~np.isnan(blocks), axis=(0, 2))
    sums = np.nansum(blocks, axis=(0, 2))
    folded = np.where(counts > 0, sums / np.maximum(counts, 1), 0.5).astype(np.float32)
    return np.roll(folded, (-row0, -col0), axis=(0, 1))


def keyed_cells(
    cells: tuple[int, int], origin: tuple[int, int] | None = None, config: ModelConfig = MODEL
) -> np.ndarray:
    """Which cells of a map of `cells` (rows, cols) are keyed (see `layout`), `origin` being the
    cell that holds the plane's first bit (default: the centre cell). Which they are is
    public: a square of `keyed_block` rows and columns of the plane around its corner, one in
    each period, so that a mirror or a quarter turn about the centre (a cell corner) maps
    keyed cells onto keyed cells."""
    row0, col0 = centre_cell(cells) if origin is None else origin
    half = config.keyed_block // 2
    rows = (np.arange(cells[0]) - row0 + half) % config.plane_size < config.keyed_block
    cols = (np.arange(cells[1]) - col0 + half) % config.plane_size < config.keyed_block
    return rows[:, None] & cols[None, :]


def keyed_bits(config: ModelConfig = MODEL) -> np.ndarray:
    """Which bits of the plane the keyed cells carry (bool, 32×32): `verify` counts only those."""
    return keyed_cells((config.plane_size,) * 2, (0, 0), config)
