"""The mark's lattice: finding it in a copy's autocorrelation, and undoing it.

The residual repeats with a period of 128 working px in both directions (see `tiling`), so the
autocorrelation of a marked image's fine detail has sharp peaks on a lattice: at one period
across, one period down, and their multiples. Photos rarely have such a lattice (tiled
graphics do, and `reading.locate` copes), and the peaks survive JPEG, noise and colour edits
(the classic self-reference synchronisation). A resize changes the lattice's spacing, a
rotation turns it; measuring the two lattice vectors gives the scale, rotation and aspect
change to undo about the centre, where the plane's first cell is (see `tiling`).

Everything here works in the *analysis* image: the luma as `Watermarker` first scales it (long
side ≤ 1024 px), in pixel-centre coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..config import ModelConfig, SyncConfig
from .tiling import resize, round_to_cell, working_shape


@dataclass(frozen=True)
class Lattice:
    """One period of the mark's grid, as two (x, y) vectors in analysis pixels."""

    across: np.ndarray  # near (+period, 0)
    down: np.ndarray  # near (0, +period)
    strength: float  # evidence: its peaks' robust z-scores summed over √count (0: not seen)

    @classmethod
    def square(cls, period: float) -> Lattice:
        """The unturned square lattice of `period` px, with no evidence: one known without
        looking (a copy's own grid, a period scanned)."""
        return cls(np.array([period, 0.0]), np.array([0.0, period]), 0.0)

    @property
    def period(self) -> float:
        """Mean length of a period in analysis px (128 in an unedited or resized photo)."""
        return float(np.mean([np.hypot(*self.across), np.hypot(*self.down)]))

    @property
    def rotation(self) -> float:
        """Degrees the copy is turned, counter-clockwise as seen on screen."""
        return float(-np.degrees(np.arctan2(self.across[1], self.across[0])))


def find_lattices(luma: np.ndarray, config: SyncConfig) -> list[Lattice]:
    """Lattices in `luma` (float, analysis resolution) that may be the mark's, likeliest first.

    Every clear peak near across or down, and each fraction of it that is a peak too (a peak
    may be a multiple of the period), seeds lattices: the peak and its quarter turn (a copy
    turned or scaled), and the peak and the strongest one near that direction (a copy
    stretched or slanted, see `_stretched_partner`). The seeds whose two peaks
    are both strong are fitted to the peaks at all their lattice points within reach and
    ranked by those points' joint strength, so a faint mark, with many weak peaks in the
    right places, outranks a photo's stray strong peak. After those come the best unturned
    square lattices by period alone (a copy only cropped or resized, the commonest edits),
    fitted but proposed whatever their strength: on a small textured crop the mark's peaks
    are too faint to pass as evidence, yet reading them costs little. A photo's own periodic texture
    (tiles, grids) can still outrank the mark's lattice: see `reading.locate`.
    """
    longest = int(min(luma.shape) / config.min_periods)
    if longest <= config.min_period:
        return []
    detail = fine_detail(luma, config)
    if not np.any(detail):
        return []  # a flat image
    detail = contrast_normalised(detail, config)
    strength, zones = _peak_strength(_autocorrelation(detail, longest + 3), longest, config)
    found: list[Lattice] = []
    seeds = [(seed, config.min_strength) for seed in _square_seeds(strength, zones, config)]
    seeds += [(seed, config.warped_strength) for seed in _warped_seeds(strength, longest, config)]
    for (across, down), needed in seeds:
        lattice = _fit(strength, across, down, longest, config)
        if (
            lattice is not None
            and lattice.strength >= needed
            and not any(_same(lattice, known, config.fit_tolerance) for known in found)
        ):
            found.append(lattice)
    found.sort(key=lambda lattice: -lattice.strength)
    found = found[: config.max_candidates]
    for across, down in _unturned_seeds(strength, longest, config):
        lattice = _fit(strength, across, down, longest, config)
        if lattice is not None and not any(
            _same(lattice, known, config.fit_tolerance) for known in found
        ):
            found.append(lattice)
    return found


def _same(first: Lattice, second: Lattice, tolerance: float) -> bool:
    """Whether two lattices are one: both vectors within `tolerance` px."""
    return bool(
        np.hypot(*(first.across - second.across)) < tolerance
        and np.hypot(*(first.down - second.down)) < tolerance
    )


def _square_seeds(
    strength: np.ndarray, zones: tuple[np.ndarray, np.ndarray], config: SyncConfig
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(across, down) of the `fits_per_image` lattices whose two peaks are strongest (the weaker
    of the two counts), from the strongest peaks near across and near down and their
    fractions, each paired with the peak a quarter turn away (a square lattice) and with the
    strongest one in that direction (a stretched one)."""
    scored = []
    for seed, turned in _seeds(strength, zones, config):
        for divisor in range(1, config.max_divisor + 1):
            if np.hypot(*seed) / divisor < config.min_period:
                break
            own = _refine(strength, seed / divisor)
            if own is None:
                continue
            turn = _quarter_turn(own[0], turned)
            # The partner may be a little longer or shorter (the working size rounds each side
            # to 8 px), or much (a stretched copy); or it may be too faint to find.
            reach = max(2, round(config.max_aspect_change * np.hypot(*turn)))
            partners = [_refine(strength, turn, reach) or (turn, 0.0)]
            stretched = _stretched_partner(strength, turn, config)
            if stretched is not None and np.hypot(*(stretched[0] - partners[0][0])) >= 1:
                partners.append(stretched)
            for partner in partners:
                pair = (partner[0], own[0]) if turned else (own[0], partner[0])
                scored.append((min(own[1], partner[1]), pair))
    scored.sort(key=lambda entry: -entry[0])
    distinct: list[tuple[np.ndarray, np.ndarray]] = []
    for _, pair in scored:  # a harmonic's fraction is often its fundamental, seeded again
        if all(np.abs(np.subtract(pair, known)).max() >= 1 for known in distinct):
            distinct.append(pair)
    return distinct[: config.fits_per_image]


def _unturned_seeds(
    strength: np.ndarray, longest: int, config: SyncConfig
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(across, down) of the `unturned_seeds` unturned square lattices whose points are jointly
    strongest, by whole-pixel period (`_fit` refines)."""
    squares = _stretched_bases(_periods(longest, config), max_aspect=1.0)
    return _strongest_bases(strength, squares, config.unturned_seeds, config.seed_spacing)


def _warped_seeds(
    strength: np.ndarray, longest: int, config: SyncConfig
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(across, down) of the `warped_seeds` turned square lattices (within `max_rotation`) and
    as many unturned stretched ones (aspect within `max_aspect`) whose points are jointly
    strongest. On a textured photo no single peak of a turned or stretched mark may stand out
    enough to seed it (see `_square_seeds`), while its lattice's points, taken together, do."""
    periods = _periods(longest, config)
    families = (
        _turned_bases(periods, config.max_rotation),
        _stretched_bases(periods, config.max_aspect),
    )
    return [
        (_peak_or_guess(strength, across), _peak_or_guess(strength, down))
        for bases in families
        for across, down in _strongest_bases(
            strength, bases, config.warped_seeds, config.seed_spacing
        )
    ]


def _peak_or_guess(strength: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """The peak near `guess` to sub-pixel (a seed's whole-pixel error, grown over the
    lattice's farther points, would lead `_fit` astray), or `guess` where there is none."""
    peak = _refine(strength, guess)
    return guess if peak is None else peak[0]


def _periods(longest: int, config: SyncConfig) -> np.ndarray:
    """Every whole-pixel period searched."""
    return np.arange(int(np.ceil(config.min_period)), longest + 1, dtype=float)


def _turned_bases(periods: np.ndarray, max_rotation: float) -> np.ndarray:
    """(n, 2, 2) bases (across, down; (x, y) each) of square lattices of `periods` turned by up
    to `max_rotation` degrees, in steps that move a lattice's diagonal point by a pixel."""
    limit = np.radians(max_rotation)
    angles = [np.arange(-limit, limit, 1.0 / (np.sqrt(2.0) * period)) for period in periods]
    length = np.repeat(periods, [len(steps) for steps in angles])[:, None]
    angle = np.concatenate(angles)
    across = length * np.stack([np.cos(angle), -np.sin(angle)], axis=1)
    return np.stack([across, length * np.stack([np.sin(angle), np.cos(angle)], axis=1)], axis=1)


def _stretched_bases(periods: np.ndarray, max_aspect: float) -> np.ndarray:
    """(n, 2, 2) bases of unturned lattices `periods` across and a whole number of px down,
    up to `max_aspect` times longer or shorter."""
    downs = [np.arange(np.ceil(period / max_aspect), period * max_aspect + 1) for period in periods]
    across = np.repeat(periods, [len(lengths) for lengths in downs])
    down, zero = np.concatenate(downs), np.zeros_like(across)
    return np.stack([np.stack([across, zero], axis=1), np.stack([zero, down], axis=1)], axis=1)


def _strongest_bases(
    strength: np.ndarray, bases: np.ndarray, count: int, spacing: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The `count` lattices of `bases` ((n, 2, 2): across and down, (x, y) each) whose points
    one period across, down and diagonally are jointly strongest, each at least `spacing` px
    from a stronger one (nearer, it is that one: `_fit` refines)."""
    centre = np.array(strength.shape) // 2
    near = cv2.dilate(strength, np.ones((3, 3), np.uint8))  # a point may fall between pixels
    across, down = bases[:, 0], bases[:, 1]  # points one period across, down, diagonally:
    xy = np.rint(np.stack([across, down, across + down, across - down], axis=1)).astype(int)
    xy += centre[::-1]
    inside = np.all((xy >= 0) & (xy < np.array(strength.shape)[::-1]), axis=(1, 2))
    bases, xy = bases[inside], xy[inside]
    scores = near[xy[..., 1], xy[..., 0]].mean(axis=1)
    chosen: list[np.ndarray] = []
    for index in np.argsort(-scores):
        if len(chosen) == count:
            break
        if all(np.abs(bases[index] - known).max() >= spacing for known in chosen):
            chosen.append(bases[index])
    return [(basis[0], basis[1]) for basis in chosen]


def _stretched_partner(
    strength: np.ndarray, turn: np.ndarray, config: SyncConfig
) -> tuple[np.ndarray, float] | None:
    """The strongest peak near `turn`'s direction (within `max_shear` degrees) at a length up
    to `max_aspect` times longer or shorter (None if none): the partner of a seed in a copy
    that was stretched, or photographed at a slant (locally, a perspective is a shear)."""
    length = float(np.hypot(*turn))
    shortest, longest = length / config.max_aspect, length * config.max_aspect
    direction, spread = np.arctan2(turn[1], turn[0]), np.radians(config.max_shear)
    angles = direction + np.array([-spread, 0.0, spread])
    corners = np.array(
        [(r * np.cos(a), r * np.sin(a)) for r in (shortest, longest) for a in angles]
    )
    centre = np.array(strength.shape) // 2  # (y, x) of zero lag
    low = np.maximum(np.floor(corners.min(axis=0)[::-1]).astype(int) + centre - 1, 0)
    high = np.ceil(corners.max(axis=0)[::-1]).astype(int) + centre + 2
    box = strength[low[0] : high[0], low[1] : high[1]]
    dy, dx = np.indices(box.shape) + (low - centre)[:, None, None]
    radius = np.hypot(dx, dy)
    cosine = (dx * turn[0] + dy * turn[1]) / (np.maximum(radius, 1e-6) * length)
    sector = (radius >= shortest) & (radius <= longest) & (cosine >= np.cos(spread))
    if not np.any(sector):
        return None
    index = np.argmax(np.where(sector, box, -np.inf))
    peak = np.array([dx.flat[index], dy.flat[index]], float)
    return _refine(strength, peak)


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
        lags, heights, found = _refine_all(strength, points)
        heights = np.where(found, heights, 0.0)
        if not np.any(heights > 0):
            return None  # no peak anywhere near the lattice's points
        points[found] = lags[found]
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


def fine_detail(luma: np.ndarray, config: SyncConfig) -> np.ndarray:
    """High-passed luma with JPEG's 8×8 block pattern removed (its lattice is not ours)."""
    luma = luma.astype(np.float32)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), config.highpass_sigma)
    block = config.jpeg_block
    height, width = (side // block * block for side in detail.shape)
    tiles = detail[:height, :width].reshape(height // block, block, width // block, block)
    pattern = tiles.mean(axis=(0, 2))
    detail[:height, :width] -= np.tile(pattern, (height // block, width // block))
    return detail - detail.mean()


def contrast_normalised(detail: np.ndarray, config: SyncConfig) -> np.ndarray:
    """Fine detail divided by its local RMS (over `contrast_sigma`) plus `contrast_floor`,
    which keeps a flat area's noise from being blown up: a whitening in space, as
    `_autocorrelation` whitens in frequency.

    Why: the residual is scaled by the photo's texture, but far less than the texture itself,
    so in the raw detail a textured area's own fine structure outweighs the mark everywhere
    and its autocorrelation drowns the mark's peaks; divided by the local contrast, every
    area weighs alike, and the smooth ones, where the mark stands out, count as much.
    """
    local = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), config.contrast_sigma))
    normalised = detail / (local + config.contrast_floor)
    return normalised - normalised.mean()


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
    zones = (_zone(peaks.shape, 0.0, longest, config), _zone(peaks.shape, 90.0, longest, config))
    values = peaks[zones[0] | zones[1]]
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median)) + 1e-12
    return (peaks - median) / spread, (zones[0], zones[1])


def _zone(shape: tuple[int, int], direction: float, longest: int, config: SyncConfig) -> np.ndarray:
    """Lags (bool, zero lag at the centre) from `min_period` to `longest` px long within
    `max_rotation` degrees (under 90) of `direction` (0: across, 90: down), computed only on
    the box that holds them: most of the map is outside it, and an angle per lag is costly."""
    row, col = np.array(shape) // 2
    half = min(longest, int(np.ceil(longest * np.sin(np.radians(config.max_rotation)))) + 1)
    if direction == 0.0:
        box = (slice(row - half, row + half + 1), slice(col, col + longest + 1))
    else:
        box = (slice(row, row + longest + 1), slice(col - half, col + half + 1))
    dy, dx = np.mgrid[box] - np.array([row, col])[:, None, None]
    angle = (np.degrees(np.arctan2(dy, dx)) - direction + 180.0) % 360.0 - 180.0
    radius = np.hypot(dy, dx)
    zone = np.zeros(shape, bool)
    zone[box] = (
        (radius >= config.min_period) & (radius <= longest) & (np.abs(angle) <= config.max_rotation)
    )
    return zone


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
    lags, heights, found = _refine_all(strength, guess[None], radius)
    return (lags[0], float(heights[0])) if found[0] else None


def _refine_all(
    strength: np.ndarray, guesses: np.ndarray, radius: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_refine` of many guesses ((n, 2) x, y lags) at once, as `_fit` needs for the hundreds
    of points of a lattice: (lags (n, 2), heights (n,), found (n,) bool), the first two
    meaningful where found."""
    centre = np.array(strength.shape) // 2
    xy = np.rint(guesses).astype(int) + centre[::-1]
    x, y = xy[:, 0], xy[:, 1]
    height, width = strength.shape
    inside = (np.minimum(x, y) >= radius) & (x + radius < width) & (y + radius < height)
    offsets = np.arange(-radius, radius + 1)
    rows = np.clip(y[:, None, None] + offsets[None, :, None], 0, height - 1)
    cols = np.clip(x[:, None, None] + offsets[None, None, :], 0, width - 1)
    size = 2 * radius + 1
    iy, ix = np.divmod(strength[rows, cols].reshape(len(xy), size * size).argmax(axis=1), size)
    found = inside & (iy > 0) & (iy < size - 1) & (ix > 0) & (ix < size - 1)
    y = np.clip(y - radius + iy, 1, height - 2)  # clipped only where not found
    x = np.clip(x - radius + ix, 1, width - 2)
    middle = strength[y, x]
    offset_x = _parabola(strength[y, x - 1], middle, strength[y, x + 1])
    offset_y = _parabola(strength[y - 1, x], middle, strength[y + 1, x])
    lags = np.stack([x - centre[1] + offset_x, y - centre[0] + offset_y], axis=1)
    return lags, middle.astype(float), found


def _parabola(left: np.ndarray, middle: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Sub-sample offsets of peaks from the three samples around each."""
    curvature = left - 2 * middle + right
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = 0.5 * (left - right) / curvature
    return np.where(curvature >= 0, 0.0, offset)


def rectify(luma: np.ndarray, lattice: Lattice, config: ModelConfig) -> np.ndarray:
    """`luma` resampled so the lattice is one period (128 px) across and down, centre kept.

    A resize (area-averaged when shrinking, so the fine pattern does not alias) to sides that
    are multiples of two cells takes out the overall scale; a warp about the centre then takes
    out what is left: rotation, aspect change, rounding. The centre stays the centre, and is a
    cell corner again, as in the embedder's working image (see `tiling`).
    """
    period = config.plane_size * config.cell
    scale = period / lattice.period
    original = np.array([luma.shape[1], luma.shape[0]], float)
    luma = resize(luma, tuple(round_to_cell(side * scale, config) for side in luma.shape))
    stretch = np.array([luma.shape[1], luma.shape[0]]) / original
    vectors = np.column_stack([lattice.across, lattice.down]) * stretch[:, None]
    linear = period * np.linalg.inv(vectors)
    if _moves_no_cell(linear, luma.shape, config):
        return luma
    centre = (np.array([luma.shape[1], luma.shape[0]]) - 1) / 2
    affine = np.column_stack([linear, centre - linear @ centre])
    return cv2.warpAffine(
        luma, affine, (luma.shape[1], luma.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0.5
    )


def same_grid(
    found: Lattice, expected: Lattice, shape: tuple[int, int], config: ModelConfig
) -> bool:
    """Whether an image of `shape` (analysis px) rectified by `expected` (see `rectify`) is
    on `found`'s grid too, by the tolerance `rectify` leaves an image as it is by, measured
    at the size `rectify` brings it to (a period of 128 px)."""
    period = config.plane_size * config.cell
    rectified = tuple(side * period / expected.period for side in shape)
    vectors = [np.column_stack([lattice.across, lattice.down]) for lattice in (found, expected)]
    return _moves_no_cell(np.linalg.solve(vectors[0], vectors[1]), rectified, config)


def near_grid(found: Lattice, expected: Lattice, tolerance: float) -> bool:
    """Whether `found` is `expected` within `tolerance` of a period in each entry of the linear
    map between them (a loose `same_grid`: within a few per cent of scale, aspect or turn)."""
    vectors = [np.column_stack([lattice.across, lattice.down]) for lattice in (found, expected)]
    return bool(np.allclose(np.linalg.solve(vectors[1], vectors[0]), np.eye(2), atol=tolerance))


def _moves_no_cell(linear: np.ndarray, shape: tuple[float, float], config: ModelConfig) -> bool:
    """Whether the linear map (about the centre) is the identity within cell / (2 × the
    long side of an image of `shape`), entry by entry: a scale then moves the sides by at
    most half a cell, a rotation or a shear the corners by up to half a cell along each
    axis."""
    return bool(np.allclose(linear, np.eye(2), atol=config.cell / (2 * max(shape))))


def resized_lattices(
    shape: tuple[int, int], analysis: tuple[int, int], model: ModelConfig
) -> list[Lattice]:
    """The lattices that the analysis image (of size `analysis`) of a copy of `shape` has if the
    copy is a whole marked photo, only resized (the commonest edit), one for each size a photo
    is embedded at (see `tiling.working_shape`): a large original's, if the copy is smaller
    than `work_long_side`, and a small original's. Known without looking, tried first, they
    find the mark where the lattice is hard to see: on textured or flat photos, or beside a
    photo's own periodic texture.
    """
    if max(shape) >= model.work_long_side:
        return []
    period = model.plane_size * model.cell
    lattices = []
    for long_side in (4 * model.work_long_side, model.small_long_side):
        enlarged = long_side / max(shape)  # an original of the copy's aspect, embedded there
        original = working_shape(round(shape[0] * enlarged), round(shape[1] * enlarged), model)
        across = np.array([period * analysis[1] / original[1], 0.0])
        down = np.array([0.0, period * analysis[0] / original[0]])
        lattices.append(Lattice(across, down, 0.0))
    return lattices
