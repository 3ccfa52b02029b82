"""Reading the plane from a copy, wherever an edit has put its grid.

`locate` decides which grid to read on: the copy as it is, as if only resized, or rectified
for each lattice `lattice.find_lattices` proposes. Edits that keep the centre (resizes,
rotations, centred crops) then read in place; a crop off the centre moves the plane by whole
cells, found by the keyed cells (`layout.Layout.origin`), by the mark's shape
(`find_picture`) or, knowing the mark, by `verify`, and by part of a cell, the phase at which
the periods agree most (`agreement`; what is tried is `search`'s to decide).

The extractor comes in as a `Network`, any callable from a batch of one luma image to its bit
map (see `nets.runtime`), so everything here stays plain numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..config import ModelConfig, SyncConfig
from .lattice import Lattice, find_lattices, rectify, resized_lattices
from .layout import Layout
from .tiling import fold, keyed_cells


class Network(Protocol):
    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        """Batch-of-one float32 NHWC inputs, in the network's input order -> its output."""


@dataclass(frozen=True, eq=False)
class Grid:
    """A grid `locate` considered: the luma resampled onto it, the lattice undone (None: the
    copy as it is), and the extractor's bit map of its central window if it was read."""

    image: np.ndarray
    lattice: Lattice | None
    window_map: np.ndarray | None = None


@dataclass(frozen=True)
class Reading:
    """The extractor's soft bit map on the mark's grid (the plane's first bit in the centre
    cell, as `tiling` puts it), and how it was found."""

    bit_map: np.ndarray
    lattice: Lattice | None
    image: np.ndarray  # the luma read: rectified when the lattice was undone
    others: tuple[Grid, ...] = ()  # the other grids `locate` considered, likeliest first


def locate(
    luma: np.ndarray,
    shape: tuple[int, int],
    extractor: Network,
    model: ModelConfig,
    config: SyncConfig,
) -> Reading:
    """Read `luma` (analysis resolution, from a copy of `shape`) on the mark's grid.

    The candidates are the image as it is, then the image rectified (see `rectify`) as if it
    were only resized (see `resized_lattices`), then for each lattice `find_lattices` proposes,
    likeliest first. They are read on a central window in that order, and the first that reads
    all but perfectly consistently (see `consistency`) wins, or the most consistent if none
    does: a wrong grid can read fairly consistently too (a stretched copy read as it is), so
    only a near-perfect reading stops the search. A clean copy that kept its grid is thus read
    with no search; and a lattice of the photo's own periodic
    texture, ranked first, costs time, not the mark, unless the texture itself reads
    consistently. The candidates not taken are kept in `Reading.others` for `search`.
    """
    native = _read(luma, extractor, model)
    candidates = [Grid(luma, None, central(native, config.window // model.cell))]
    scores = [consistency(candidates[0].window_map, model)]
    if scores[0] < config.consistent:
        lattices = find_lattices(luma, config)
        for lattice in resized_lattices(shape, luma.shape, model) + lattices:
            rectified = rectify(luma, lattice, model)
            if rectified is not luma and max(rectified.shape) <= config.max_rectified_side:
                candidates.append(Grid(rectified, lattice))
    for index, candidate in enumerate(candidates[1:], start=1):
        if max(scores) >= config.consistent:
            break
        window = central(candidate.image, config.window)
        window_map = _read(window, extractor, model)
        candidates[index] = Grid(candidate.image, candidate.lattice, window_map)
        scores.append(consistency(window_map, model))
        if candidate.lattice is not None and candidate.lattice.strength >= config.min_strength:
            scores[-1] = max([scores[-1], *_off_phase_consistencies(window, extractor, model)])
    best = int(np.argmax(scores))
    image, lattice = candidates[best].image, candidates[best].lattice
    bit_map = native if best == 0 else _read(image, extractor, model)
    others = tuple(grid for index, grid in enumerate(candidates) if index != best)
    return Reading(bit_map, lattice, image, others)


def _off_phase_consistencies(
    window: np.ndarray, extractor: Network, model: ModelConfig
) -> list[float]:
    """How consistently `window` reads at the half-cell phases other than its own. A lattice
    seen in the copy may be of a crop off the centre, which moves the grid by part of a cell,
    and a textured photo read off its phase reads inconsistently: ranked at its own phase only,
    the right lattice could lose to a wrong one. The nearest half-cell phase is at most a pixel
    off (`search.Search.phase` then finds the whole-pixel one)."""
    half = model.cell // 2
    phases = ((0, half), (half, 0), (half, half))
    return [consistency(map_at(window, phase, extractor, model), model) for phase in phases]


def window_plane(grid: Grid, extractor: Network, layout: Layout, config: SyncConfig) -> np.ndarray:
    """The soft whitened plane of a grid's central window, read now if `locate` did not."""
    window_map = grid.window_map
    if window_map is None:
        window_map = _read(central(grid.image, config.window), extractor, layout.config)
    return layout.fold(window_map)


def central(image: np.ndarray, size: int) -> np.ndarray:
    """The centred `size`×`size` window (or less) of an image (of its first two axes): on a
    working image, its centre is still the image's, a cell corner, so the plane is read there
    in place."""
    top, left = (max(0, (side - size) // 2) for side in image.shape[:2])
    return image[top : top + size, left : left + size]


def _read(image: np.ndarray, extractor: Network, model: ModelConfig) -> np.ndarray:
    """The extractor's bit map, on whole cells only: the extractor's padding, and so its cell
    alignment, is then the training's."""
    height, width = (side // model.cell * model.cell for side in image.shape)
    return extractor(image[None, :height, :width, None].astype(np.float32))[0, ..., 0]


def consistency(bit_map: np.ndarray, model: ModelConfig) -> float:
    """Correlation of two independent readings of the plane: the folds of the even and the odd
    periods (a checkerboard of 32×32-cell blocks). Near 1 on the right grid; near 0 on a wrong
    one, even where the extractor leans one way on some content, since that lean is the same
    in both halves only by chance. The keyed cells (`layout`) differ from period to period,
    so they are left out: the map is read as if its plane's first cell were its centre."""
    rows, cols = np.indices(bit_map.shape) // model.plane_size
    even = (rows + cols) % 2 == 0
    keyed = keyed_cells(bit_map.shape, None, model)
    halves = [fold(np.where(part, bit_map, np.nan), (0, 0), model) for part in (even, ~even)]
    repeated = fold(keyed.astype(np.float32), (0, 0), model) < 0.5
    first, second = (2.0 * half[repeated] - 1.0 for half in halves)
    if first.std() == 0 or second.std() == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def picture_score(planes: np.ndarray) -> np.ndarray:
    """How much soft planes (…×32×32) look like pictures: the mean agreement of neighbouring
    pixels, from −1 to 1. A logo scores high; noise, such as a plane un-whitened from the wrong
    place, scores ~0."""
    signed = 2.0 * planes - 1.0
    agreement = (signed[..., 1:, :] * signed[..., :-1, :]).mean(axis=(-2, -1))
    agreement += (signed[..., :, 1:] * signed[..., :, :-1]).mean(axis=(-2, -1))
    return agreement / (2.0 * np.maximum((signed**2).mean(axis=(-2, -1)), 1e-6))


def find_picture(
    whitened: np.ndarray,
    unwhiten: Callable[[np.ndarray], np.ndarray],
    unread: np.ndarray,
    config: SyncConfig,
) -> tuple[int, int] | None:
    """For a crop off the centre: the cyclic shift (rows, cols) under which a soft whitened
    plane read under an unknown one (see `in_frame`) un-whitens to a picture, judged without
    the `unread` bits (bool, 32×32: the keyed ones, which cannot be turned back before the
    shift is known).

    Such a crop moves the grid by an unknown number of cells (and part of a cell, which
    `search.Search.phase` finds first). Under the right shift the un-whitened plane is the
    mark, a picture; under any other the keyed permutation scatters it into noise. None when
    it is not a picture under any (the mark has no such structure).
    """
    shift, score = _best_shift(whitened, unwhiten, unread)
    return shift if score >= config.picture_agreement else None


def read_in_place(image: np.ndarray, extractor: Network, layout: Layout) -> np.ndarray:
    """The soft whitened plane read from `image` (analysis resolution) on its own grid, first
    cell at the centre: a grid turned upright, or the embedder's probe of its own margin."""
    return layout.fold(_read(image, extractor, layout.config))


def cell_phases(model: ModelConfig) -> list[tuple[int, int]]:
    """(rows, cols) offsets at which a grid may be read: its own, and every other whole pixel
    within a cell. The extractor reads a cell well only where it was embedded: half a cell
    off, it reads most bits of a textured photo wrong, and a pixel off, still many."""
    return [(row, col) for row in range(model.cell) for col in range(model.cell)]


def agreement(bit_map: np.ndarray, model: ModelConfig) -> float:
    """How strongly the periods of a soft bit map agree, whatever its cyclic shift: the mean
    magnitude of its fold, from 0 to 1. Highest read at the phase the mark was embedded at:
    off it, each cell read mixes its neighbours, which differ from period to period."""
    return float(np.mean(np.abs(2.0 * in_frame(bit_map, model) - 1.0)))


def map_at(
    image: np.ndarray, phase: tuple[int, int], extractor: Network, model: ModelConfig
) -> np.ndarray:
    """The soft bit map read from `image` shifted by `phase` (rows, cols)."""
    return _read(image[phase[0] :, phase[1] :], extractor, model)


def in_frame(bit_map: np.ndarray, model: ModelConfig) -> np.ndarray:
    """A bit map folded with its first cell taken at the top-left: the plane under an unknown
    cyclic shift, as read after a crop off the centre (its keyed cells as they came)."""
    return fold(bit_map, (0, 0), model)


def _best_shift(
    whitened: np.ndarray, unwhiten: Callable[[np.ndarray], np.ndarray], unread: np.ndarray
) -> tuple[tuple[int, int], float]:
    """The cyclic shift (rows, cols) under which `whitened` un-whitens most like a picture,
    the `unread` bits, once shifted, taken as unknown (0.5)."""
    size = whitened.shape[0]
    shifts = np.indices((size, size)).reshape(2, -1).T
    rows = (np.arange(size)[None, :, None] - shifts[:, 0, None, None]) % size
    cols = (np.arange(size)[None, None, :] - shifts[:, 1, None, None]) % size
    scores = picture_score(unwhiten(np.where(unread, np.float32(0.5), whitened[rows, cols])))
    best = int(np.argmax(scores))
    return (int(shifts[best, 0]), int(shifts[best, 1])), float(scores[best])
