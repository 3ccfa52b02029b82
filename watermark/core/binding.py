"""Binding the keyed cells to the photo they are in: a keyed hash of the photo's own coarse
content, one bit per cell, that the keyed cells are also flipped by (see `layout`).

Why: the extractor and the embedder are public, so anyone can read every cell of a marked
photo, keyed or not, and write that cell map into another photo (`adversary.copy_cells`), or
copy the whole residual (the denoise estimate): the keyed cells go with it and verify there.
With the hash, a keyed cell carries its bit, the key's flip and the hash of the photo around
it; the reader takes the hash of the copy it reads. On the photo it was made in the two
hashes agree, and on another photo they agree by chance: the copied cells turn over at random.
The hash is keyed, so an attacker cannot turn the cells over to fit the other photo.

What the hash is: whether a keyed pattern of `binding_span`×`binding_span` block means
(blocks of `binding_block` cells) around the cell, the pattern orthogonal to every quadratic
trend, weighs them above `binding_floor`. Coarse, so that the residual, JPEG, resizing and a
rectified grid's resampling barely move it; blind to trends, because most photos share them
(a sky brighter at the top), and a hash of what photos share would agree across photos.
Above a floor, not above 0: where a photo is flat the weighed sum is 0 give or take noise, so
a threshold at 0 would be decided by noise and read at random, on the photo it was made in
too (a logo on white, a flat illustration would lose the keyed cells). With the floor, flat
cells are never flipped, at either end, and read as if unbound. The price: a copy from one
photo's flat area onto another's flat area keeps its keyed cells (measured as a forge rate,
`benchmarks/security.py`). Near the threshold, and near the copy's border (a crop), where the
neighbourhood is cut, the reader trusts each hash as far as it is likely to be the
embedder's (see `content_signs`).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import ModelConfig

_PATTERN_STREAM = 3  # the key's generator stream for the pattern (after whitening, canvas)


def binding_pattern(seed: int, config: ModelConfig) -> np.ndarray:
    """The pattern of block weights (`binding_span`² of them, float32) of a key's `seed`
    (`keys.key_seed`): zero on every quadratic trend of the blocks, unit norm."""
    span = config.binding_span
    weights = np.random.default_rng([seed, _PATTERN_STREAM]).standard_normal(span * span)
    basis = trend_basis(span)
    weights -= basis @ (basis.T @ weights)
    return (weights / np.linalg.norm(weights)).astype(np.float32)


def trend_basis(span: int) -> np.ndarray:
    """An orthonormal basis (span², 6) of the quadratic trends over `span`×`span` blocks."""
    rows, cols = (axis.ravel() for axis in np.mgrid[0:span, 0:span].astype(np.float64))
    trends = np.stack([np.ones_like(rows), rows, cols, rows * rows, rows * cols, cols * cols], 1)
    return np.linalg.qr(trends)[0]


def content_signs(luma: np.ndarray, pattern: np.ndarray, config: ModelConfig) -> np.ndarray:
    """One sign per whole cell of `luma` (as the extractor reads it: rows, cols of cells from
    the top-left), float32: −1 where the keyed hash of the content around the cell is above
    the floor (the cell is flipped), +1 where not, nearer 0 the less it is to be trusted.

    Trust follows what the sign is worth, 2·P[it is the embedder's] − 1, measured on marked,
    compressed and cropped copies (see README, "Binding to the photo"): it grows with the
    hash's distance from its threshold, up to `binding_margin`, and with the share of the
    cell's neighbourhood inside the copy (the rest is mirrored, not the photo's).
    """
    above = over_floor(neighbourhoods(luma, config), pattern, config)
    trust = np.clip(-above / config.binding_margin, -1.0, 1.0)
    half = config.binding_span * config.binding_block // 2
    for axis, length in enumerate(trust.shape):
        index = np.arange(length)
        inside = np.minimum(1.0, (half + np.minimum(index, length - 1 - index)) / (2 * half))
        trust *= inside.reshape([-1 if axis == dim else 1 for dim in range(trust.ndim)])
    return trust.astype(np.float32)


def over_floor(hoods: np.ndarray, pattern: np.ndarray, config: ModelConfig) -> np.ndarray:
    """How far the hash of each cell's `neighbourhoods` is above the floor (luma): the cell is
    flipped where it is positive."""
    return hoods @ pattern - config.binding_floor


def neighbourhoods(luma: np.ndarray, config: ModelConfig) -> np.ndarray:
    """(rows, cols, `binding_span`²): for each whole cell of `luma`, the means of the blocks
    of `binding_block` cells around it, row by row (the photo mirrored at its borders)."""
    cell, block, span = config.cell, config.binding_block, config.binding_span
    rows, cols = luma.shape[0] // cell, luma.shape[1] // cell
    means = cv2.resize(
        np.ascontiguousarray(luma[: rows * cell, : cols * cell], np.float32),
        (cols, rows),
        interpolation=cv2.INTER_AREA,
    )
    half = span * block // 2
    padded = cv2.copyMakeBorder(means, half, half, half, half, cv2.BORDER_REFLECT)
    sums = cv2.integral(padded, sdepth=cv2.CV_64F)
    blocks = (
        sums[block:, block:]
        - sums[:-block, block:]
        - sums[block:, :-block]
        + sums[:-block, :-block]
    )
    blocks = (blocks / block**2).astype(np.float32)
    return np.stack(
        [
            blocks[down * block : down * block + rows, across * block : across * block + cols]
            for down in range(span)
            for across in range(span)
        ],
        axis=-1,
    )
