"""Finding the watermark's grid again in a cropped, resized or rotated copy, with no original.

The residual repeats with a period of 128 working px in both directions (see `tiling`), so the
autocorrelation of a marked image's fine detail has sharp peaks on a lattice: at one period
across, one period down, and their multiples. Natural images have no such lattice, and the
peaks survive JPEG, noise and colour edits (the classic self-reference synchronisation). A crop
or resize changes the lattice's spacing, a rotation turns it; measuring the two lattice vectors
gives the scale, rotation and aspect change to undo, up to a translation that the reader then
finds (sub-cell phase by trying the 16 offsets, whole cells from the tiling's centre origin).

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
from .tiling import centre_cell, fold, resize


@dataclass(frozen=True)
class Lattice:
    """One period of the mark's grid, as two (x, y) vectors in analysis pixels."""

    across: np.ndarray  # near (+period, 0)
    down: np.ndarray  # near (0, +period)
    strength: float  # the weaker of the two peaks, in robust standard deviations over the noise

    @property
    def period(self) -> float:
        """Mean length of a period in analysis px (128 in an unedited or resized photo)."""
        return float(np.mean([np.hypot(*self.across), np.hypot(*self.down)]))

    @property
    def rotation(self) -> float:
        """Degrees the copy is turned, counter-clockwise as seen on screen."""
        return float(-np.degrees(np.arctan2(self.across[1], self.across[0])))


def find_lattice(luma: np.ndarray, config: SyncConfig = SYNC) -> Lattice | None:
    """The mark's lattice in `luma` (float, analysis resolution), or None if there is none.

    The clearer of the two directions is found by search; the other is then looked for where
    a square lattice puts it (the copy may have been turned or scaled, but rarely stretched),
    which finds it even on the short side of a wide photo, where fewer periods make it faint.
    """
    longest = int(min(luma.shape) / config.min_periods)
    if longest <= config.min_period:
        return None
    detail = _fine_detail(luma, config)
    if not np.any(detail):
        return None  # a flat image
    peaks = _peak_map(_autocorrelation(detail, longest + 3))
    found = [_strongest_period(peaks, direction, longest, config) for direction in (0.0, 90.0)]
    (vector, strength, floor), turned = max(
        zip(found, (False, True), strict=True), key=lambda pair: pair[0][1]
    )
    if strength < config.min_strength:
        return None
    vector = _along_harmonics(peaks, vector, longest, floor)
    other = _along_harmonics(peaks, _quarter_turn(vector, turned), longest, floor)
    across, down = (other, vector) if turned else (vector, other)
    return Lattice(across, down, strength)


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


def _peak_map(correlation: np.ndarray) -> np.ndarray:
    """Correlation minus its local mean: sharp lattice peaks stay, the photo's smooth
    correlation (edges, gradients, textures at small lags) goes."""
    return correlation - cv2.blur(correlation, (9, 9))


def _strongest_period(
    peaks: np.ndarray, direction: float, longest: int, config: SyncConfig
) -> tuple[np.ndarray, float, float]:
    """The period near `direction` (degrees, 0 = across, 90 = down): (x, y lag, robust z of its
    peak over the zone searched, the height a harmonic must reach to count).

    The strongest peak within `max_rotation` of the direction is a multiple of the period,
    usually the period itself; a peak at a half, third or quarter of it that is strong too is
    the period.
    """
    centre = np.array(peaks.shape) // 2
    dy, dx = np.indices(peaks.shape) - centre[:, None, None]
    radius = np.hypot(dy, dx)
    angle = (np.degrees(np.arctan2(dy, dx)) - direction + 180.0) % 360.0 - 180.0
    zone = (radius >= config.min_period) & (radius <= longest)
    zone &= np.abs(angle) <= config.max_rotation
    values = peaks[zone]
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median)) + 1e-12
    best = np.argmax(np.where(zone, peaks, -np.inf))
    height = peaks.flat[best]
    floor = max(median + config.min_strength * spread, config.harmonic_share * height)
    strongest = np.array([dx.flat[best], dy.flat[best]], float)
    for divisor in (4, 3, 2):
        if np.hypot(*strongest) / divisor < config.min_period:
            continue
        candidate = _refine(peaks, centre, strongest / divisor)
        if candidate is not None and candidate[1] >= floor:
            return candidate[0], float((candidate[1] - median) / spread), floor
    return strongest, float((height - median) / spread), floor


def _along_harmonics(
    peaks: np.ndarray, guess: np.ndarray, longest: int, floor: float
) -> np.ndarray:
    """The period near `guess`, to sub-pixel, pinned down by its harmonics: the peak at k
    periods gives the period k times more precisely. Returns `guess` if no peak is near it."""
    centre = np.array(peaks.shape) // 2
    found = _refine(peaks, centre, guess)
    if found is None:
        return guess
    harmonics = [found[0]]
    for multiple in range(2, int(longest / np.hypot(*found[0])) + 1):
        further = _refine(peaks, centre, found[0] * multiple)
        if further is None or further[1] < floor:
            break
        harmonics.append(further[0] / multiple)
    weights = np.arange(1, len(harmonics) + 1) ** 2
    return np.average(harmonics, axis=0, weights=weights)


def _refine(
    peaks: np.ndarray, centre: np.ndarray, guess: np.ndarray
) -> tuple[np.ndarray, float] | None:
    """The local maximum within 2 px of `guess` (x, y lag), to sub-pixel, and its height."""
    x, y = np.rint(guess).astype(int) + centre[::-1]
    window = peaks[y - 2 : y + 3, x - 2 : x + 3]
    if window.shape != (5, 5):
        return None
    iy, ix = np.unravel_index(np.argmax(window), window.shape)
    if not (0 < iy < 4 and 0 < ix < 4):
        return None
    y, x = y - 2 + iy, x - 2 + ix
    offset_x = _parabola(peaks[y, x - 1 : x + 2])
    offset_y = _parabola(peaks[y - 1 : y + 2, x])
    lag = np.array([x - centre[1] + offset_x, y - centre[0] + offset_y])
    return lag, float(peaks[y, x])


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
    """The extractor's soft bit map on the mark's grid, and the cell holding the plane's first
    bit (the centre cell, when the copy kept the centre)."""

    bit_map: np.ndarray
    origin: tuple[int, int]
    lattice: Lattice | None
    image: np.ndarray  # the luma read: rectified when the lattice was undone


def locate(
    luma: np.ndarray, extractor: Network, model: ModelConfig = MODEL, config: SyncConfig = SYNC
) -> Reading:
    """Read `luma` (analysis resolution) on the mark's grid.

    When `find_lattice` sees the mark's lattice, the image is rectified (see `rectify`);
    unless that changed nothing, the image as it is and the rectified one are both read on a
    central window and the one that reads more consistently (see `consistency`) wins, so that
    a photo's own periodic texture, mistaken for the lattice, costs time and not the mark.
    """
    candidates = [luma]
    lattice = find_lattice(luma, config)
    if lattice is not None:
        rectified = rectify(luma, lattice, model)
        if rectified is not luma and max(rectified.shape) <= config.max_rectified_side:
            candidates.append(rectified)
    best = 0
    if len(candidates) > 1:
        scores = [consistency(_read(_central(c, config.window), extractor)) for c in candidates]
        best = int(np.argmax(scores))
    image = candidates[best]
    bit_map = _read(image, extractor, model)
    return Reading(bit_map, centre_cell(bit_map.shape), lattice if best else None, image)


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
    extractor: Network,
    unwhiten: Callable[[np.ndarray], np.ndarray],
    model: ModelConfig = MODEL,
    config: SyncConfig = SYNC,
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """For a crop off the centre: the soft whitened plane read where it un-whitens to a picture.

    Such a crop moves the grid by an unknown number of cells and part of a cell. Every cyclic
    shift of the folded plane is tried for the first, four half-cell phases for the second (the
    extractor reads well to ±1 px), on a central window; the winning phase is then read whole.
    Under the right shift and phase the un-whitened plane is the mark, a picture; under any
    other the keyed permutation scatters it into noise. Returns (whitened plane, shift), or None
    when no reading is a picture (the mark has no such structure, or nothing was read).
    """
    phases = _half_cell_phases(model)
    window = _central(image, config.picture_window)
    folds = [_fold_at(window, phase, extractor, model) for phase in phases]
    scores = [_best_shift(whitened, unwhiten)[1] for whitened in folds]
    if max(scores) < config.picture_agreement:
        return None
    whitened = _fold_at(image, phases[int(np.argmax(scores))], extractor, model)
    shift, score = _best_shift(whitened, unwhiten)
    if score < config.picture_agreement:
        return None
    return np.roll(whitened, shift, axis=(0, 1)), shift


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
