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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np

from ..config import ModelConfig, SyncConfig
from .lattice import (
    Lattice,
    find_lattices,
    near_grid,
    rectify,
    resized_lattices,
    same_grid,
)
from .layout import Layout
from .perspective import Perspective, find_perspective, unwarp, warp_fits
from .tiling import fold, keyed_cells

View = Callable[[np.ndarray], np.ndarray]  # an image seen another way: turned back


class Network(Protocol):
    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        """Batch-of-one float32 NHWC inputs, in the network's input order -> its output."""


@dataclass(frozen=True, eq=False)
class Grid:
    """A grid `locate` considered: the luma resampled onto it, the lattice undone (None: the
    copy as it is), the extractor's bit map of its central window if it was read, and of
    that window at other phases (see `half_cell_phases`) if they were; or the perspective
    undone instead of a lattice."""

    image: np.ndarray
    lattice: Lattice | None
    window_map: np.ndarray | None = None
    phase_maps: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    perspective: Perspective | None = None


@dataclass(frozen=True)
class Reading:
    """The extractor's soft bit map on the mark's grid (the plane's first bit in the centre
    cell, as `tiling` puts it), and how it was found."""

    bit_map: np.ndarray
    lattice: Lattice | None
    image: np.ndarray  # the luma read: rectified when the lattice was undone
    others: tuple[Grid, ...] = ()  # the other grids `locate` considered, likeliest first
    turned_maps: tuple[np.ndarray, ...] = ()  # its central window read undone by each turn,
    # if `locate` read them (to rank the copy as it is, when that is the grid taken)
    phase_maps: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # and at
    # other phases, if `locate` read them (to rank a lattice seen in the copy)
    shown: bool = False  # taken at once, on a grid the copy has if only resized, because its
    # reading there shows the mark (`locate`'s `shows`)
    perspective: Perspective | None = None  # the perspective undone, if that grid was taken


def locate(
    luma: np.ndarray,
    shape: tuple[int, int],
    extractor: Network,
    model: ModelConfig,
    config: SyncConfig,
    turns: Sequence[View] = (),
    shows: Callable[[np.ndarray, np.ndarray], bool] | None = None,
    native: np.ndarray | None = None,
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

    Each candidate is ranked by the most consistent of its readings that may be the right
    one: the copy as it is (only it) also undone by each of `turns` (a copy turned or mirrored
    whole keeps its grid, but read upright a textured one reads inconsistently), the
    strongest lattices seen in the copy also at the other half-cell phases (see
    `half_cell_phases`). The choice is made without the mark, so it costs `verify` no
    hypotheses. Where none reads consistently, a small copy's scanned period
    (`_scanned_grid`) is one more candidate, ranked `scan_margin` lower: the most consistent
    of dozens of periods, it reads above any single candidate on noise alone. Last, where
    still none does and the copy holds enough periods, the copy with the perspective
    `perspective.find_perspective` finds undone (a photo of a screen or of a print, whose
    lattice no one pair of vectors fits), ranked at every half-cell phase (the warp is found
    but for a translation).

    `shows(luma, bit_map)`, for a reader that owes no p-value (extract): whether a reading
    shows the mark where it was read. Where it is given, a grid the copy has if only
    resized is taken at once, no other tried, also where it reads less than perfectly
    consistently (a textured photo): see `_shown_as_resized`. `native`: the copy's reading as
    it is (`bit_map_of`), if the caller read it.
    """
    native = bit_map_of(luma, extractor, model) if native is None else native
    candidates = [Grid(luma, None, central(native, config.window // model.cell))]
    scores = [consistency(candidates[0].window_map, model)]

    @cache
    def lattices() -> list[Lattice]:
        return find_lattices(luma, config)

    if scores[0] < config.consistent and shows is not None:
        shown = _shown_as_resized(luma, shape, native, lattices, extractor, model, shows)
        if shown is not None:
            return shown
    turned_maps: tuple[np.ndarray, ...] = ()
    if scores[0] < config.consistent:
        window = central(luma, config.window)
        turned_maps = tuple(bit_map_of(turn(window), extractor, model) for turn in turns)
        scores[0] = max([scores[0], *(consistency(bits, model) for bits in turned_maps)])
    if scores[0] < config.consistent:
        resized = resized_lattices(shape, luma.shape, model)
        candidates += rectified_grids(luma, resized + lattices(), model, config)
    phased = _phased_strength([grid.lattice for grid in candidates[1:]], config)
    for index, candidate in enumerate(candidates[1:], start=1):
        if max(scores) >= config.consistent:
            break
        window = central(candidate.image, config.window)
        window_map = bit_map_of(window, extractor, model)
        phase_maps = {}
        if candidate.lattice is not None and candidate.lattice.strength >= phased:
            phase_maps = {
                phase: map_at(window, phase, extractor, model) for phase in half_cell_phases(model)
            }
        candidates[index] = Grid(candidate.image, candidate.lattice, window_map, phase_maps)
        scores.append(max(consistency(bits, model) for bits in (window_map, *phase_maps.values())))
    if max(scores) < config.consistent and max(shape) < model.work_long_side:
        scanned = _scanned_grid(luma, extractor, model, config)
        if scanned is not None:  # every candidate was read and scored: the lists still align
            candidates.append(scanned)
            scores.append(consistency(scanned.window_map, model) - config.scan_margin)
    if max(scores) < config.consistent and warp_fits(luma.shape, model, config.perspective):
        unwarped = _unwarped_grid(luma, native, extractor, model, config)
        candidates.append(unwarped)
        readings = (unwarped.window_map, *unwarped.phase_maps.values())
        scores.append(max(consistency(bits, model) for bits in readings))
    best = candidates[int(np.argmax(scores))]
    bit_map = native if best is candidates[0] else bit_map_of(best.image, extractor, model)
    others = tuple(grid for grid in candidates if grid is not best)
    turned = turned_maps if best is candidates[0] else ()
    return Reading(
        bit_map,
        best.lattice,
        best.image,
        others,
        turned,
        best.phase_maps,
        perspective=best.perspective,
    )


def _shown_as_resized(
    luma: np.ndarray,
    shape: tuple[int, int],
    native: np.ndarray,
    lattices: Callable[[], list[Lattice]],
    extractor: Network,
    model: ModelConfig,
    shows: Callable[[np.ndarray, np.ndarray], bool],
) -> Reading | None:
    """For `locate` given `shows`: the copy read on a grid it has if only resized, if that
    reading shows the mark and the copy's strongest lattice (`lattices`' first) is that grid:
    its own (`native`, its reading as it is), or for a copy under the working size, a large
    or a small original's (`resized_lattices`: a resize moves its grid, see `tiling`). A copy
    turned, stretched or warped even slightly still shows the mark read as if only resized,
    but reads it better rectified; its strongest lattice tells."""
    own = Lattice.square(model.plane_size * model.cell)

    def strongest_is(lattice: Lattice) -> bool:
        return bool(lattices()) and same_grid(lattices()[0], lattice, luma.shape, model)

    if shows(luma, native) and strongest_is(own):
        return Reading(native, None, luma, shown=True)
    for lattice in resized_lattices(shape, luma.shape, model):
        if not strongest_is(lattice):
            continue
        image = rectify(luma, lattice, model)
        if image is luma:  # its own grid, tried above
            continue
        bit_map = bit_map_of(image, extractor, model)
        if shows(image, bit_map):
            return Reading(bit_map, lattice, image, shown=True)
    return None


def rectified_grids(
    luma: np.ndarray, lattices: list[Lattice], model: ModelConfig, config: SyncConfig
) -> list[Grid]:
    """The copy rectified for each of `lattices` that moves its grid, within
    `max_rectified_side` (unread)."""
    grids = []
    for lattice in lattices:
        rectified = rectify(luma, lattice, model)
        if rectified is not luma and max(rectified.shape) <= config.max_rectified_side:
            grids.append(Grid(rectified, lattice))
    return grids


def _unwarped_grid(
    luma: np.ndarray, native: np.ndarray, extractor: Network, model: ModelConfig, config: SyncConfig
) -> Grid:
    """The copy with the perspective `find_perspective` finds in its readings at every
    half-cell phase (`native`: at its own) undone, then rectified for the strongest lattice
    that shows in it near the grid's (`rectify_tolerance`: the homography's scale and aspect
    are found to a few per cent only, its evidence, taken without its sign, being broad), its
    central window read at every phase."""
    phases = ((0, 0), *half_cell_phases(model))
    phase_maps = {phase: map_at(luma, phase, extractor, model) for phase in phases[1:]}
    found = find_perspective({(0, 0): native, **phase_maps}, luma.shape, model, config.perspective)
    image = unwarp(luma, found)
    square = Lattice.square(model.plane_size * model.cell)
    tolerance = config.perspective.rectify_tolerance
    near = [
        lattice for lattice in find_lattices(image, config) if near_grid(lattice, square, tolerance)
    ]
    if near:
        rectified = rectify(image, near[0], model)
        image = rectified if max(rectified.shape) <= config.max_rectified_side else image
    window = central(image, config.window)
    window_maps = {phase: map_at(window, phase, extractor, model) for phase in phases}
    return Grid(image, None, window_maps.pop((0, 0)), window_maps, found)


def _phased_strength(lattices: list[Lattice | None], config: SyncConfig) -> float:
    """The evidence a lattice needs to be ranked at every half-cell phase too (see
    `half_cell_phases`): a lattice seen in the copy (a crop's), and among the `phased_lattices`
    strongest, which bounds the cost."""
    strengths = sorted(lattice.strength for lattice in lattices if lattice is not None)
    strongest = strengths[-config.phased_lattices :] or [np.inf]
    return max(config.min_strength, strongest[0])


def _scanned_grid(
    luma: np.ndarray, extractor: Network, model: ModelConfig, config: SyncConfig
) -> Grid | None:
    """The grid of the unturned square lattice, of a period the copy holds too few times for
    its autocorrelation's peaks to stand out (fewer than `scan_periods` times on the short
    side: a small crop of a large photo), that reads most consistently: periods a factor
    e^`scan_step` apart, each read on a `scan_window` window, the best then on the usual one.
    On a textured crop the lattice's few peaks are lost in the photo's own, but its grid
    still reads consistently. One candidate, chosen without the mark; None if no period fits
    (within `max_rectified_side`) or the best is the copy's own grid (a candidate already).
    `locate` scans only copies smaller than the working size (a crop of a photo larger than
    them, at its own scale): on a larger copy it would cost more than the rest of the search."""
    short, period_px = min(luma.shape), model.plane_size * model.cell
    low = max(
        short / config.scan_periods,
        config.min_period,
        max(luma.shape) * period_px / config.max_rectified_side,
    )
    periods = np.exp(np.arange(np.log(low), np.log(short / config.min_periods), config.scan_step))
    lattices = [Lattice.square(period) for period in periods]
    if not lattices:
        return None
    scores = []
    for lattice in lattices:  # rectified around the window only
        needed = (config.scan_window + 2 * model.cell) * lattice.period / period_px
        around = _symmetric_centre(luma, needed)
        window = central(rectify(around, lattice, model), config.scan_window)
        scores.append(consistency(bit_map_of(window, extractor, model), model))
    lattice = lattices[int(np.argmax(scores))]
    image = rectify(luma, lattice, model)
    if image is luma:
        return None
    return Grid(image, lattice, bit_map_of(central(image, config.window), extractor, model))


def _symmetric_centre(image: np.ndarray, size: float) -> np.ndarray:
    """The centred part of `image` at least `size` px on each side (or all of it), cut
    equally from both ends so that its centre is the image's to the sub-pixel."""
    margins = [max(0, int(side - size) // 2) for side in image.shape]
    return image[margins[0] : image.shape[0] - margins[0], margins[1] : image.shape[1] - margins[1]]


def half_cell_phases(model: ModelConfig) -> tuple[tuple[int, int], ...]:
    """The half-cell phases (rows, cols) other than a grid's own. A lattice seen in the copy
    may be of a crop off the centre, which moves the grid by part of a cell, and a textured
    photo read off its phase reads inconsistently: ranked at its own phase only, the right
    lattice could lose to a wrong one. The nearest half-cell phase is at most a pixel off
    (`search.Search.phase` then finds the whole-pixel one)."""
    half = model.cell // 2
    return (0, half), (half, 0), (half, half)


def window_reading(
    grid: Grid, extractor: Network, model: ModelConfig, config: SyncConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(window, soft bit map) of a grid's central window, read now if `locate` did not."""
    window = central(grid.image, config.window)
    window_map = grid.window_map
    if window_map is None:
        window_map = bit_map_of(window, extractor, model)
    return window, window_map


def central(image: np.ndarray, size: int) -> np.ndarray:
    """The centred `size`×`size` window (or less) of an image (of its first two axes): on a
    working image, its centre is still the image's, a cell corner, so the plane is read there
    in place."""
    top, left = (max(0, (side - size) // 2) for side in image.shape[:2])
    return image[top : top + size, left : left + size]


def bit_map_of(image: np.ndarray, extractor: Network, model: ModelConfig) -> np.ndarray:
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
    return layout.bound(image).fold(bit_map_of(image, extractor, layout.config))


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
    return bit_map_of(image[phase[0] :, phase[1] :], extractor, model)


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
