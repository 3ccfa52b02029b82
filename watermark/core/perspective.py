"""Undoing a perspective: a photo of a screen or of a print, a copy slanted in an editor.

Why a search of its own: a perspective changes the mark's lattice from one part of the copy to
another (corners moved by 6% of the sides: the period runs over ±6% and turns by up to 6°),
so the autocorrelation's peaks smear and `lattice.find_lattices` sees no lattice; on a window
small enough to hold one lattice, a textured photo's own detail drowns the mark's few peaks.
The extractor sees the mark through texture far better, but reads a cell rightly only in
phase: half a cell off, it reads most bits inverted (see `reading.half_cell_phases`). Across a
warped copy the cells drift in and out of phase, so a period's correlation with its
neighbour's changes sign from place to place, and cancels when summed over the copy.

So the evidence is gathered locally and summed without its sign. The extractor's readings at
the four half-cell phases, interleaved (`half_cell_map`), are cut into blocks of a few cells,
small enough that neither the lattice nor the phase changes much across one, and each block's
correlation with its surroundings is measured at every lag (`block_evidence`: its magnitude,
in units of its noise). A homography about the centre predicts, at each block, where the
neighbouring periods across and down are; its score is the evidence at those lags, summed
over the blocks. A grid of hypotheses (scale, turn, and the two terms that tilt the picture
plane) finds the neighbourhood, and a pattern search refines the six terms. The translation
is left to the reader's search for a crop off the centre, as after `lattice.rectify`.

The evidence of the likeliest homography does not tell a marked copy from an unmarked one
well (a photo's own texture scores too): the grid it gives is one more the reader reads and
`verify` pays for (`search.Tries`), never taken on its score.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..config import ModelConfig, PerspectiveConfig

_BATCH = 512  # hypotheses scored at once (bounds the memory of the coarse grid's arrays)
_WIDENING = np.ones((3, 3), np.uint8)  # the coarse grid's evidence: each lag's most of ±1


@dataclass(frozen=True)
class Perspective:
    """A warp found: `homography` (3×3: analysis px of the mark's grid -> of the copy, both
    about the image's centre, no translation)."""

    homography: np.ndarray


@dataclass(frozen=True)
class _Evidence:
    """Per block: how strongly it repeats at every lag up to `reach` half cells each way
    (`magnitude`, blocks × lags × lags, see `block_evidence`); the blocks' centres in analysis
    px about the image's centre (`centres`, x and y)."""

    magnitude: np.ndarray
    centres: np.ndarray
    reach: int
    half_cell: float


def find_perspective(
    phase_maps: dict[tuple[int, int], np.ndarray],
    shape: tuple[int, int],
    model: ModelConfig,
    config: PerspectiveConfig,
) -> Perspective:
    """The homography under which the extractor's readings of a copy (analysis image of
    `shape`) at the four half-cell phases (`phase_maps`, rows and cols: 0 or half a cell)
    repeat most as the mark's lattice: the one whose lags have the most evidence."""
    period = model.plane_size * model.cell
    evidence = block_evidence(half_cell_map(phase_maps, model), shape, model, config)
    size = np.array([shape[1], shape[0]], float)
    starts = _coarse_starts(evidence, size, period, config)
    refined = [_refine(evidence, start, size, period, config) for start in starts]
    terms, _ = max(refined, key=lambda found: found[1])
    return Perspective(_homography(terms, shape))


def warp_fits(shape: tuple[int, int], model: ModelConfig, config: PerspectiveConfig) -> bool:
    """Whether a copy's analysis image of `shape` holds enough periods (`min_periods` on its
    short side) for a warp to be told by its blocks."""
    return min(shape) >= config.min_periods * model.plane_size * model.cell


def unwarp(luma: np.ndarray, perspective: Perspective) -> np.ndarray:
    """`luma` resampled onto the mark's grid (same size, mid-grey where the copy had nothing)."""
    height, width = luma.shape
    return cv2.warpPerspective(
        luma,
        perspective.homography,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderValue=0.5,
    )


def half_cell_map(phase_maps: dict[tuple[int, int], np.ndarray], model: ModelConfig) -> np.ndarray:
    """The extractor's signed reading (−1 to 1) every half cell: its readings at the four
    half-cell phases (rows, cols: 0 or half a cell), interleaved."""
    half = model.cell // 2
    rows, cols = (min(bit_map.shape[axis] for bit_map in phase_maps.values()) for axis in (0, 1))
    interleaved = np.empty((2 * rows, 2 * cols), np.float32)
    for (row, col), bit_map in phase_maps.items():
        interleaved[row // half :: 2, col // half :: 2] = 2.0 * bit_map[:rows, :cols] - 1.0
    return interleaved


def block_evidence(
    signed: np.ndarray, shape: tuple[int, int], model: ModelConfig, config: PerspectiveConfig
) -> _Evidence:
    """How strongly each block of `signed` (a `half_cell_map`) repeats at every lag up to
    `max_lag` periods: the magnitude of its correlation with the map there, in units of its
    noise (the block's norm times the map's RMS, over the share of the block the lag keeps
    inside the map), less the block's mean magnitude over its lags, which are nearly all noise
    (the readings of neighbouring half cells overlap, so their noise is not independent: its
    level is measured, not assumed).
    Lags that keep less than `min_overlap` of the block inside are not measured (0).
    `shape`: the analysis image's, whose centre the blocks' centres are measured from."""
    block, rows, cols = config.block, *signed.shape
    reach = int(np.ceil(config.max_lag * model.plane_size * 2))
    size = cv2.getOptimalDFTSize(block + 2 * reach)  # zeros beyond: no lag wraps round
    padded = np.pad(signed, (reach, size - block - reach))
    rms = float(np.sqrt(np.mean(signed * signed))) + 1e-6
    lags = np.arange(-reach, reach + 1)
    tops, lefts = np.arange(0, rows - block + 1, block), np.arange(0, cols - block + 1, block)
    magnitude = np.zeros((len(tops) * len(lefts), 2 * reach + 1, 2 * reach + 1), np.float32)
    for index, (top, left) in enumerate((top, left) for top in tops for left in lefts):
        surroundings = np.ascontiguousarray(padded[top : top + size, left : left + size])
        own = np.zeros_like(surroundings)
        own[:block, :block] = signed[top : top + block, left : left + block]
        correlation = _correlation(surroundings, own, block)[: 2 * reach + 1, : 2 * reach + 1]
        kept = np.outer(_kept(top, lags, block, rows), _kept(left, lags, block, cols))
        measured = kept >= config.min_overlap
        noise = np.sqrt(np.sum(own * own) * np.maximum(kept, 1e-9)) * rms
        level = np.abs(correlation) / noise
        magnitude[index] = np.where(measured, level - level[measured].mean(), 0.0)
    half = model.cell / 2
    corners = np.array([(left, top) for top in tops for left in lefts], float)
    centres = (corners + (block - 1) / 2) * half + (model.cell - 1) / 2
    return _Evidence(magnitude, centres - _centre(shape), reach, half)


def _correlation(surroundings: np.ndarray, own: np.ndarray, rows: int) -> np.ndarray:
    """Σ own[n] · surroundings[n + lag] for every lag ≥ 0 (cyclic, by DFT); `own` is zero
    below its first `rows`."""
    spectra = [
        cv2.dft(surroundings, flags=cv2.DFT_COMPLEX_OUTPUT),
        cv2.dft(own, flags=cv2.DFT_COMPLEX_OUTPUT, nonzeroRows=rows),
    ]
    product = cv2.mulSpectrums(*spectra, 0, conjB=True)
    return cv2.idft(product, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)


def _kept(start: int, lags: np.ndarray, block: int, length: int) -> np.ndarray:
    """Share of a block at `start` (along one axis) that each lag keeps inside `length`."""
    inside = np.minimum(start + lags + block, length) - np.maximum(start + lags, 0)
    return np.clip(inside, 0, block) / block


def _centre(shape: tuple[int, int]) -> np.ndarray:
    """The centre (x, y) of an image of `shape`, in pixel-centre coordinates."""
    return (np.array([shape[1], shape[0]], float) - 1) / 2


def _lags(linear: np.ndarray, tilt: np.ndarray, points: np.ndarray, period: float) -> np.ndarray:
    """For homographies x = A u / (1 + t·u) about the centre (`linear` A: hypotheses × 2 × 2,
    `tilt` t: hypotheses × 2, in 1/px): at each of `points` of the copy (K × 2, x and y about
    the centre), the lags to the neighbouring periods across and down (hypotheses × K × 2
    directions × x and y), measured symmetrically about the point."""
    inverse = np.linalg.inv(linear)[:, None]  # hypotheses × 1 × 2 × 2, against K points
    flat = _times(inverse, points[None])
    grid = flat / (1.0 - _dot(tilt[:, None], flat))[..., None]
    lags = []
    for step in (np.array([period / 2, 0.0]), np.array([0.0, period / 2])):
        ends = [_project(linear[:, None], tilt[:, None], grid + sign * step) for sign in (1, -1)]
        lags.append(ends[0] - ends[1])
    return np.stack(lags, axis=2)


def _times(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Matrix × vector over leading axes (2 × 2 by 2, written out: far faster than einsum)."""
    x, y = vector[..., 0], vector[..., 1]
    return np.stack(
        [
            matrix[..., 0, 0] * x + matrix[..., 0, 1] * y,
            matrix[..., 1, 0] * x + matrix[..., 1, 1] * y,
        ],
        axis=-1,
    )


def _dot(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Dot products of 2-vectors over leading axes."""
    return first[..., 0] * second[..., 0] + first[..., 1] * second[..., 1]


def _project(linear: np.ndarray, tilt: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """x = A u / (1 + t·u)."""
    return _times(linear, grid) / (1.0 + _dot(tilt, grid))[..., None]


def _scores(evidence: _Evidence, lags: np.ndarray) -> np.ndarray:
    """Per hypothesis: the evidence at its lags (bilinear between half cells), summed over
    blocks and directions, over √(lags measured). A lag past `max_lag` (a far corner under
    the grid's widest scale and tilt) is left out of both: the evidence is 0 on noise, so
    the scores stay comparable."""
    position, inside = _positions(evidence, lags)
    low = np.floor(position).astype(int)
    fraction = position - low
    block = _block_indices(low)
    total = np.zeros(low.shape[:-1], np.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            weight = (fraction[..., 0] if dx else 1 - fraction[..., 0]) * (
                fraction[..., 1] if dy else 1 - fraction[..., 1]
            )
            total += weight * evidence.magnitude[block, low[..., 1] + dy, low[..., 0] + dx]
    return _summed(total, inside)


def _coarse_scores(evidence: _Evidence, widened: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """`_scores` on the evidence `widened` (each lag's the most of its neighbours'), at the
    nearest half cell: the grid's steps move a far block's lags by about a cell anyway."""
    position, inside = _positions(evidence, lags)
    nearest = np.rint(position).astype(int)
    return _summed(widened[_block_indices(nearest), nearest[..., 1], nearest[..., 0]], inside)


def _positions(evidence: _Evidence, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lags as indices into the evidence, in half cells, x then y, clipped to it; whether
    each was inside it)."""
    top = 2 * evidence.reach
    position = lags / evidence.half_cell + evidence.reach
    inside = np.all((position >= 0) & (position < top), axis=-1)
    return np.clip(position, 0, top - 1e-3), inside


def _block_indices(indices: np.ndarray) -> np.ndarray:
    """For lookups of hypotheses × blocks × directions × (x, y): each one's block."""
    return np.broadcast_to(np.arange(indices.shape[1])[None, :, None], indices.shape[:-1])


def _summed(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Per hypothesis: the values inside summed over blocks and directions, over √count."""
    total = np.where(inside, values, 0.0).sum(axis=(1, 2))
    return total / np.sqrt(np.maximum(inside.sum(axis=(1, 2)), 1))


def _terms_to_maps(terms: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(linear, tilt in 1/px) from terms: the four entries of A, then the tilt as the change of
    scale across the copy's width and height."""
    return terms[:, :4].reshape(-1, 2, 2), terms[:, 4:] / size


def _coarse_starts(
    evidence: _Evidence, size: np.ndarray, period: float, config: PerspectiveConfig
) -> np.ndarray:
    """The `starts` best of a grid of scales, turns and tilts (`_coarse_scores`)."""
    scales = 1 + _symmetric(config.max_change, config.scale_step)
    turns = np.radians(_symmetric(config.max_turn, config.turn_step))
    tilts = _symmetric(config.max_tilt, config.tilt_step)
    scale, turn, tilt_x, tilt_y = (
        axis.ravel() for axis in np.meshgrid(scales, turns, tilts, tilts, indexing="ij")
    )
    cos, sin = scale * np.cos(turn), scale * np.sin(turn)
    terms = np.stack([cos, -sin, sin, cos, tilt_x, tilt_y], axis=1)
    widened = np.stack([cv2.dilate(block, _WIDENING) for block in evidence.magnitude])
    scores = np.concatenate(
        [
            _coarse_scores(
                evidence, widened, _lags(*_terms_to_maps(part, size), evidence.centres, period)
            )
            for part in np.array_split(terms, max(1, len(terms) // _BATCH))
        ]
    )
    return terms[np.argsort(scores)[::-1][: config.starts]]


def _symmetric(limit: float, step: float) -> np.ndarray:
    """0, ±step, ±2 step, … up to ±limit."""
    count = int(limit / step + 1e-9)
    return step * np.arange(-count, count + 1)


def _refine(
    evidence: _Evidence,
    start: np.ndarray,
    size: np.ndarray,
    period: float,
    config: PerspectiveConfig,
) -> tuple[np.ndarray, float]:
    """(terms, score) a pattern search reaches from `start`: every term moved a step each way
    at once, the best move taken, the steps halved where none is better, `refinements` times
    (or until `max_moves` moves)."""

    def score(candidates: np.ndarray) -> np.ndarray:
        return _scores(evidence, _lags(*_terms_to_maps(candidates, size), evidence.centres, period))

    steps = np.array([config.scale_step / 2] * 4 + [config.tilt_step / 2] * 2)
    best, best_score = start, float(score(start[None])[0])
    halvings = moves_made = 0
    while halvings < config.refinements and moves_made < config.max_moves:
        moves_made += 1
        moves = np.concatenate([np.diag(steps), -np.diag(steps)])
        candidates = best[None] + moves
        scores = score(candidates)
        if scores.max() > best_score:
            best, best_score = candidates[int(np.argmax(scores))], float(scores.max())
        else:
            steps, halvings = steps / 2, halvings + 1
    return best, best_score


def _homography(terms: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The 3×3 homography (analysis px, grid -> copy) of terms, about the centre of an image
    of `shape`."""
    linear, tilt = _terms_to_maps(terms[None], np.array([shape[1], shape[0]], float))
    centred = np.eye(3)
    centred[:2, :2], centred[2, :2] = linear[0], tilt[0]
    shift = np.eye(3)
    shift[:2, 2] = -_centre(shape)
    return np.linalg.inv(shift) @ centred @ shift
