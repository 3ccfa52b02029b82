"""Finding the watermark's grid again in a cropped, resized or rotated copy, with no original.

The residual repeats with a period of 128 working px in both directions (see `tiling`), so the
autocorrelation of a marked image's fine detail has sharp peaks on a lattice: at one period
across, one period down, and their multiples. Photos rarely have such a lattice (tiled
graphics do, and `locate` copes), and the peaks survive JPEG, noise and colour edits (the
classic self-reference synchronisation). A resize changes the lattice's spacing, a rotation
turns it; measuring the two lattice vectors gives the scale, rotation and aspect change to
undo about the centre, where the plane's first cell is (see `tiling`). Edits that keep the
centre (resizes, rotations, centred crops) then read in place; a crop off the centre moves the
plane by whole cells, found by the mark's shape (`find_picture`) or, knowing the mark, by
`verify`, and by part of a cell, found by trying the half-cell phases.

Everything here works in the *analysis* image: the luma as `Watermarker` first scales it (long
side ≤ 1024 px), in pixel-centre coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .config import MODEL, SYNC, ModelConfig, SyncConfig
from .runtime import Network
from .tiling import fold, resize, working_shape


@dataclass(frozen=True)
class Lattice:
    """One period of the mark's grid, as two (x, y) vectors in analysis pixels."""

    across: np.ndarray  # near (+period, 0)
    down: np.ndarray  # near (0, +period)
    strength: float  # evidence: its peaks' robust z-scores summed over √count (0: not seen)

    @property
    def period(self) -> float:
        """Mean length of a period in analysis px (128 in an unedited or resized photo)."""
        return float(np.mean([np.hypot(*self.across), np.hypot(*self.down)]))

    @property
    def rotation(self) -> float:
        """Degrees the copy is turned, counter-clockwise as seen on screen."""
        return float(-np.degrees(np.arctan2(self.across[1], self.across[0])))


def find_lattices(luma: np.ndarray, config: SyncConfig = SYNC) -> list[Lattice]:
    """Lattices in `luma` (float, analysis resolution) that may be the mark's, likeliest first.

    Every clear peak near across or down, and each fraction of it that is a peak too (a peak
    may be a multiple of the period), seeds a square lattice: the peak and its quarter turn
    (a copy may have been turned or scaled, but rarely stretched). The seeds whose two peaks
    are both strong are fitted to the peaks at all their lattice points within reach and
    ranked by those points' joint strength, so a faint mark, with many weak peaks in the
    right places, outranks a photo's stray strong peak. A photo's own periodic texture
    (tiles, grids) can still outrank the mark's lattice: see `locate`.
    """
    longest = int(min(luma.shape) / config.min_periods)
    if longest <= config.min_period:
        return []
    detail = _fine_detail(luma, config)
    if not np.any(detail):
        return []  # a flat image
    strength, zones = _peak_strength(_autocorrelation(detail, longest + 3), longest, config)
    found: list[Lattice] = []
    for across, down in _square_seeds(strength, zones, config):
        lattice = _fit(strength, across, down, longest, config)
        if (
            lattice is not None
            and lattice.strength >= config.min_strength
            and not any(
                np.hypot(*(lattice.across - known.across)) < config.fit_tolerance for known in found
            )
        ):
            found.append(lattice)
    found.sort(key=lambda lattice: -lattice.strength)
    return found[: config.max_candidates]


def _square_seeds(
    strength: np.ndarray, zones: tuple[np.ndarray, np.ndarray], config: SyncConfig
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(across, down) of the `fits_per_image` square lattices whose two peaks are strongest
    (the weaker of the two counts), from the strongest peaks near across and near down and
    their fractions."""
    scored = []
    for seed, turned in _seeds(strength, zones, config):
        for divisor in range(1, config.max_divisor + 1):
            if np.hypot(*seed) / divisor < config.min_period:
                break
            own = _refine(strength, seed / divisor)
            if own is None:
                continue
            turn = _quarter_turn(own[0], turned)
            # The partner may be a little longer or shorter: a copy's aspect may have changed
            # (the working size rounds each side to 8 px); or it may be too faint to find.
            reach = max(2, round(config.max_aspect_change * np.hypot(*turn)))
            partner = _refine(strength, turn, reach) or (turn, 0.0)
            pair = (partner[0], own[0]) if turned else (own[0], partner[0])
            scored.append((min(own[1], partner[1]), pair))
    scored.sort(key=lambda entry: -entry[0])
    distinct: list[tuple[np.ndarray, np.ndarray]] = []
    for _, pair in scored:  # a harmonic's fraction is often its fundamental, seeded again
        if all(np.hypot(*(pair[0] - known[0])) >= 1 for known in distinct):
            distinct.append(pair)
    return distinct[: config.fits_per_image]


def _fit(
    strength: np.ndarray, across: np.ndarray, down: np.ndarray, longest: int, config: SyncConfig
) -> Lattice | None:
    """The lattice near (`across`, `down`) that best fits the peaks at its points: a
    least-squares fit weighted by the peaks' strengths, first to the points within
    `fit_reach` periods, then to all within `longest` (an error in the guess grows with the
    distance). Its strength is the points' joint evidence, their summed strengths over
    √count. None if the fit strays from the guess (it locked onto other peaks).
    """
    guess = basis = np.stack([across, down])
    period = np.hypot(*across)
    for reach in (config.fit_reach * period, longest):
        steps = _lattice_steps(basis, reach, config.min_period)
        points = steps @ basis
        peaks = [_refine(strength, point) for point in points]
        heights = np.array([peak[1] if peak is not None else 0.0 for peak in peaks])
        if not np.any(heights > 0):
            return None  # no peak anywhere near the lattice's points
        found = np.array([peak is not None for peak in peaks])
        points[found] = [peak[0] for peak in peaks if peak is not None]
        weights = np.sqrt(np.maximum(heights, 0.0))[:, None]
        # The guess, weakly weighted, holds a direction that has no peaks in reach.
        steps = np.vstack([steps, np.eye(2)])
        points = np.vstack([points, guess])
        weights = np.vstack([weights, np.full((2, 1), config.guess_weight)])
        basis = np.linalg.lstsq(steps * weights, points * weights, rcond=None)[0]
        if np.abs(basis - guess).max() > config.fit_tolerance:
            return None
    return Lattice(basis[0], basis[1], float(heights.sum() / np.sqrt(len(heights))))


def _lattice_steps(basis: np.ndarray, reach: float, shortest: float) -> np.ndarray:
    """Integer (i, j) of the lattice points i·across + j·down at distances from `shortest` to
    `reach`, one of each ± pair (the autocorrelation is symmetric)."""
    count = int(np.ceil(reach / np.linalg.norm(basis, axis=1).min())) + 1
    steps = np.indices((2 * count + 1, count + 1)).reshape(2, -1).T - [count, 0]
    steps = steps[(steps[:, 1] > 0) | (steps[:, 0] > 0)]
    distance = np.hypot(*(steps @ basis).T)
    return steps[(distance >= shortest) & (distance <= reach)]


def _quarter_turn(vector: np.ndarray, backwards: bool) -> np.ndarray:
    """`vector` turned by 90° on screen: across -> down, or down -> across if `backwards`."""
    x, y = vector
    return np.array([y, -x]) if backwards else np.array([-y, x])


def _fine_detail(luma: np.ndarray, config: SyncConfig) -> np.ndarray:
    """High-passed luma with JPEG's 8×8 block pattern removed (its lattice is not ours)."""
    luma = luma.astype(np.float32)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), config.highpass_sigma)
    block = config.jpeg_block
    height, width = (side // block * block for side in detail.shape)
    tiles = detail[:height, :width].reshape(height // block, block, width // block, block)
    pattern = tiles.mean(axis=(0, 2))
    detail[:height, :width] -= np.tile(pattern, (height // block, width // block))
    return detail - detail.mean()


def _autocorrelation(detail: np.ndarray, lags: int) -> np.ndarray:
    """Spectrally flattened autocorrelation for lags up to ±`lags`; zero lag at the centre.

    Dividing the power spectrum by its square root (the amplitude) flattens the natural
    image's falling spectrum, so the lattice's peaks come out sharp rather than smeared.
    """
    height, width = detail.shape
    shape = (cv2.getOptimalDFTSize(height + lags), cv2.getOptimalDFTSize(width + lags))
    spectrum = np.fft.rfft2(detail, s=shape)
    amplitude = np.abs(spectrum)
    flattened = amplitude**2 / (amplitude + 1e-3 * amplitude.mean())
    correlation = np.fft.irfft2(flattened, s=shape)
    window = np.roll(correlation, (lags, lags), axis=(0, 1))[: 2 * lags + 1, : 2 * lags + 1]
    return (window / correlation[0, 0]).astype(np.float32)


def _peak_strength(
    correlation: np.ndarray, longest: int, config: SyncConfig
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(how far each lag's correlation stands above its neighbourhood, in robust standard
    deviations over the searched zones; the zones near across and near down).

    Subtracting the local mean keeps sharp lattice peaks and drops the photo's smooth
    correlation (edges, gradients, textures at small lags).
    """
    peaks = correlation - cv2.blur(correlation, (9, 9))
    centre = np.array(peaks.shape) // 2
    dy, dx = np.indices(peaks.shape) - centre[:, None, None]
    radius = np.hypot(dy, dx)
    ring = (radius >= config.min_period) & (radius <= longest)
    zones = []
    for direction in (0.0, 90.0):
        angle = (np.degrees(np.arctan2(dy, dx)) - direction + 180.0) % 360.0 - 180.0
        zones.append(ring & (np.abs(angle) <= config.max_rotation))
    values = peaks[zones[0] | zones[1]]
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median)) + 1e-12
    return (peaks - median) / spread, (zones[0], zones[1])


def _seeds(
    strength: np.ndarray, zones: tuple[np.ndarray, np.ndarray], config: SyncConfig
) -> list[tuple[np.ndarray, bool]]:
    """The strongest local peaks in each zone, as ((x, y) lag, whether it is the down zone)."""
    centre = np.array(strength.shape) // 2
    local_top = strength >= cv2.dilate(strength, np.ones((5, 5), np.uint8))
    seeds = []
    for turned, zone in enumerate(zones):
        ys, xs = np.nonzero(zone & local_top & (strength >= config.min_strength))
        order = np.argsort(-strength[ys, xs])[: config.seeds_per_direction]
        seeds += [
            (np.array([xs[i] - centre[1], ys[i] - centre[0]], float), bool(turned)) for i in order
        ]
    return seeds


def _refine(
    strength: np.ndarray, guess: np.ndarray, radius: int = 2
) -> tuple[np.ndarray, float] | None:
    """The local maximum within `radius` px of `guess` (x, y lag), to sub-pixel, and its
    height; None if the window's maximum is on its edge (no peak inside)."""
    centre = np.array(strength.shape) // 2
    x, y = np.rint(guess).astype(int) + centre[::-1]
    size = 2 * radius + 1
    window = strength[y - radius : y + radius + 1, x - radius : x + radius + 1]
    if window.shape != (size, size) or min(x, y) < radius:
        return None
    iy, ix = np.unravel_index(np.argmax(window), window.shape)
    if not (0 < iy < size - 1 and 0 < ix < size - 1):
        return None
    y, x = y - radius + iy, x - radius + ix
    offset_x = _parabola(strength[y, x - 1 : x + 2])
    offset_y = _parabola(strength[y - 1 : y + 2, x])
    lag = np.array([x - centre[1] + offset_x, y - centre[0] + offset_y])
    return lag, float(strength[y, x])


def _parabola(values: np.ndarray) -> float:
    """Sub-sample offset of a peak from three samples around it."""
    left, middle, right = values
    curvature = left - 2 * middle + right
    return 0.0 if curvature >= 0 else float(0.5 * (left - right) / curvature)


def rectify(luma: np.ndarray, lattice: Lattice, config: ModelConfig = MODEL) -> np.ndarray:
    """`luma` resampled so the lattice is one period (128 px) across and down, centre kept.

    A resize (area-averaged when shrinking, so the fine pattern does not alias) to sides that
    are multiples of two cells takes out the overall scale; a warp about the centre then takes
    out what is left: rotation, aspect change, rounding. The centre stays the centre, and is a
    cell corner again, as in the embedder's working image (see `tiling`).
    """
    period = config.plane_size * config.cell
    scale = period / lattice.period
    original = np.array([luma.shape[1], luma.shape[0]], float)
    pair = 2 * config.cell
    luma = resize(luma, tuple(max(pair, round(side * scale / pair) * pair) for side in luma.shape))
    stretch = np.array([luma.shape[1], luma.shape[0]]) / original
    vectors = np.column_stack([lattice.across, lattice.down]) * stretch[:, None]
    linear = period * np.linalg.inv(vectors)
    if np.allclose(linear, np.eye(2), atol=config.cell / (2 * max(luma.shape))):
        return luma
    centre = (np.array([luma.shape[1], luma.shape[0]]) - 1) / 2
    affine = np.column_stack([linear, centre - linear @ centre])
    return cv2.warpAffine(
        luma, affine, (luma.shape[1], luma.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0.5
    )


@dataclass(frozen=True)
class Reading:
    """The extractor's soft bit map on the mark's grid (the plane's first bit in the centre
    cell, as `tiling` puts it), and how it was found."""

    bit_map: np.ndarray
    lattice: Lattice | None
    image: np.ndarray  # the luma read: rectified when the lattice was undone
    others: tuple[np.ndarray, ...] = ()  # the other grids `locate` considered, likeliest first


def locate(
    luma: np.ndarray,
    shape: tuple[int, int],
    extractor: Network,
    model: ModelConfig = MODEL,
    config: SyncConfig = SYNC,
) -> Reading:
    """Read `luma` (analysis resolution, from a copy of `shape`) on the mark's grid.

    The candidates are the image as it is, then the image rectified (see `rectify`) as if it
    were only downsized (see `shrunk_lattice`), then for each lattice `find_lattices` proposes,
    likeliest first. They are read on a central window in that order, and the first that reads
    consistently (see `consistency`) wins, or the most consistent if none does. A copy that
    kept its grid is thus read with no search; and a lattice of the photo's own periodic
    texture, ranked first, costs time, not the mark, unless the texture itself reads
    consistently. The candidates not taken are kept in `Reading.others` for `verify`.
    """
    candidates: list[tuple[np.ndarray, Lattice | None]] = [(luma, None)]
    native = _read(luma, extractor, model)
    scores = [consistency(_central(native, config.window // model.cell))]
    if scores[0] < config.consistent:
        lattices = find_lattices(luma, config)
        shrunk = shrunk_lattice(shape, luma.shape, model)
        for lattice in ([shrunk] if shrunk else []) + lattices:
            rectified = rectify(luma, lattice, model)
            if rectified is not luma and max(rectified.shape) <= config.max_rectified_side:
                candidates.append((rectified, lattice))
    for image, _ in candidates[1:]:
        if max(scores) >= config.consistent:
            break
        scores.append(consistency(_read(_central(image, config.window), extractor, model)))
    best = int(np.argmax(scores))
    image, lattice = candidates[best]
    bit_map = native if best == 0 else _read(image, extractor, model)
    others = tuple(other for index, (other, _) in enumerate(candidates) if index != best)
    return Reading(bit_map, lattice, image, others)


def shrunk_lattice(
    shape: tuple[int, int], analysis: tuple[int, int], model: ModelConfig = MODEL
) -> Lattice | None:
    """The lattice that the analysis image (of size `analysis`) of a copy of `shape` has if the
    copy is a whole marked photo, only made smaller (the commonest edit: a downsized copy); None
    if the copy is not smaller than the working size. Known without looking: the original, of
    the copy's aspect, was worked at `work_long_side`. Tried first, it finds the mark where the
    lattice is hard to see: on flat graphics, or beside a photo's own periodic texture.
    """
    if max(shape) >= model.work_long_side:
        return None
    enlarged = 4 * model.work_long_side / max(shape)  # any original larger than the working size
    original = working_shape(round(shape[0] * enlarged), round(shape[1] * enlarged), model)
    period = model.plane_size * model.cell
    across = np.array([period * analysis[1] / original[1], 0.0])
    down = np.array([0.0, period * analysis[0] / original[0]])
    return Lattice(across, down, 0.0)


def _central(image: np.ndarray, size: int) -> np.ndarray:
    top, left = (max(0, (side - size) // 2) for side in image.shape)
    return image[top : top + size, left : left + size]


def _read(image: np.ndarray, extractor: Network, model: ModelConfig = MODEL) -> np.ndarray:
    """The extractor's bit map, on whole cells only: the extractor's padding, and so its cell
    alignment, is then the training's."""
    height, width = (side // model.cell * model.cell for side in image.shape)
    return extractor(image[None, :height, :width, None].astype(np.float32))[0, ..., 0]


def consistency(bit_map: np.ndarray, model: ModelConfig = MODEL) -> float:
    """Correlation of two independent readings of the plane: the folds of the even and the odd
    periods (a checkerboard of 32×32-cell blocks). Near 1 on the right grid; near 0 on a wrong
    one, even where the extractor leans one way on some content, since that lean is the same
    in both halves only by chance."""
    rows, cols = np.indices(bit_map.shape) // model.plane_size
    even = (rows + cols) % 2 == 0
    halves = [fold(np.where(part, bit_map, np.nan), (0, 0), model) for part in (even, ~even)]
    first, second = (2.0 * half.ravel() - 1.0 for half in halves)
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
    image: np.ndarray,
    in_place: np.ndarray,
    extractor: Network,
    unwhiten: Callable[[np.ndarray], np.ndarray],
    model: ModelConfig = MODEL,
    config: SyncConfig = SYNC,
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """For a crop off the centre: the soft whitened plane read where it un-whitens to a picture.

    Such a crop moves the grid by an unknown number of cells and part of a cell. Every cyclic
    shift of the folded plane is tried for the first; for the second, the plane already read
    (`in_place`, on `image`'s own grid) and the three other half-cell phases (the extractor
    reads well to ±1 px), read on a central window; the best is then read whole. Under the
    right shift and phase the un-whitened plane is the mark, a picture; under any other the
    keyed permutation scatters it into noise. Returns (whitened plane, shift), or None when no
    reading is a picture (the mark has no such structure, or nothing was read).
    """
    phases = _half_cell_phases(model)
    window = _central(image, config.window)
    folds = [in_place, *(_fold_at(window, phase, extractor, model) for phase in phases[1:])]
    scores = [_best_shift(whitened, unwhiten)[1] for whitened in folds]
    best = int(np.argmax(scores))
    if scores[best] < config.picture_agreement:
        return None
    whitened = in_place if best == 0 else _fold_at(image, phases[best], extractor, model)
    shift, score = _best_shift(whitened, unwhiten)
    if score < config.picture_agreement:
        return None
    return np.roll(whitened, shift, axis=(0, 1)), shift


def read_in_place(image: np.ndarray, extractor: Network, model: ModelConfig = MODEL) -> np.ndarray:
    """The soft whitened plane read from `image` (analysis resolution) on its own grid, first
    cell at the centre, as `verify` reads the other grids `locate` considered."""
    return fold(_read(image, extractor, model), None, model)


def half_cell_readings(
    image: np.ndarray, extractor: Network, model: ModelConfig = MODEL
) -> list[np.ndarray]:
    """Soft whitened planes read at the half-cell phases other than the grid's own (first cell
    at the top-left: their shift is unknown anyway), for `verify` to search."""
    return [_fold_at(image, phase, extractor, model) for phase in _half_cell_phases(model)[1:]]


def _half_cell_phases(model: ModelConfig) -> list[tuple[int, int]]:
    half = model.cell // 2
    return [(0, 0), (0, half), (half, 0), (half, half)]


def _fold_at(
    image: np.ndarray, phase: tuple[int, int], extractor: Network, model: ModelConfig
) -> np.ndarray:
    return fold(_read(image[phase[0] :, phase[1] :], extractor, model), (0, 0), model)


def _best_shift(
    whitened: np.ndarray, unwhiten: Callable[[np.ndarray], np.ndarray]
) -> tuple[tuple[int, int], float]:
    """The cyclic shift (rows, cols) under which `whitened` un-whitens most like a picture."""
    size = whitened.shape[0]
    shifts = np.indices((size, size)).reshape(2, -1).T
    rows = (np.arange(size)[None, :, None] - shifts[:, 0, None, None]) % size
    cols = (np.arange(size)[None, None, :] - shifts[:, 1, None, None]) % size
    scores = picture_score(unwhiten(whitened[rows, cols]))
    best = int(np.argmax(scores))
    return (int(shifts[best, 0]), int(shifts[best, 1])), float(scores[best])
