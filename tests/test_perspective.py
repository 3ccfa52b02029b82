import cv2
import numpy as np
import pytest

from tests.images import photo
from tests.test_search import coin_extractor
from watermark.config import MODEL, SYNC
from watermark.core import attacks
from watermark.core.luma import luma as luma_of
from watermark.core.metrics import bit_accuracy
from watermark.core.perspective import (
    Perspective,
    _homography,
    _lags,
    _terms_to_maps,
    block_evidence,
    find_perspective,
    half_cell_map,
    unwarp,
    warp_fits,
)
from watermark.core.reading import half_cell_phases, locate

PERIOD = MODEL.plane_size * MODEL.cell
CONFIG = SYNC.perspective
SHAPE = (576, 1024)  # a 1920×1080 photo's analysis image
SIZE = np.array([SHAPE[1], SHAPE[0]], float)


def keystone(tilt_x: float, tilt_y: float, scale: float = 1.0) -> np.ndarray:
    return np.array([[scale, 0.0, 0.0, scale, tilt_x, tilt_y]])


def test_the_lags_of_a_homography_are_where_it_puts_the_neighbouring_periods():
    terms = np.array([[0.95, 0.03, -0.02, 1.04, 0.12, -0.09]])
    homography = _homography(terms[0], SHAPE)
    points = np.array([[-300.0, -200.0], [0.0, 0.0], [400.0, 150.0]])
    centre = (SIZE - 1) / 2
    lags = _lags(*_terms_to_maps(terms, SIZE), points, PERIOD)[0]
    for point, (across, down) in zip(points, lags, strict=True):
        on_grid = cv2.perspectiveTransform((point + centre)[None, None], np.linalg.inv(homography))[
            0, 0
        ]
        for step, lag in ((np.array([PERIOD / 2, 0.0]), across), ((0.0, PERIOD / 2), down)):
            ends = cv2.perspectiveTransform(
                np.array([[on_grid + step, on_grid - np.asarray(step)]]), homography
            )[0]
            np.testing.assert_allclose(ends[0] - ends[1], lag, atol=1e-6)


def test_without_a_warp_every_lag_is_one_period_across_or_down():
    points = np.random.default_rng(0).uniform(-400, 400, (20, 2))
    lags = _lags(*_terms_to_maps(keystone(0.0, 0.0), SIZE), points, PERIOD)[0]
    np.testing.assert_allclose(lags[:, 0], [[PERIOD, 0.0]] * 20, atol=1e-9)
    np.testing.assert_allclose(lags[:, 1], [[0.0, PERIOD]] * 20, atol=1e-9)


def test_the_half_cell_map_interleaves_the_four_phases_signed():
    phases = ((0, 0), *half_cell_phases(MODEL))
    maps = {
        phase: np.full((3, 4), 0.25 * number, np.float32) for number, phase in enumerate(phases)
    }
    maps[(0, 0)] = np.zeros((4, 5), np.float32)  # its own phase reads a cell more
    signed = half_cell_map(maps, MODEL)
    assert signed.shape == (6, 8)
    half = MODEL.cell // 2
    for number, (row, col) in enumerate(phases):
        assert np.all(signed[row // half :: 2, col // half :: 2] == 0.5 * number - 1.0)


def periodic_phase_maps(homography: np.ndarray, seed: int = 0) -> dict:
    """What an ideal extractor reads at each half-cell phase of a copy warped by `homography`
    (grid -> copy): a random ±1 plane tiled from the centre, seen through the warp."""
    plane = np.random.default_rng(seed).integers(0, 2, (MODEL.plane_size,) * 2)
    height, width = SHAPE
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    copy = np.stack([cols, rows], axis=-1)
    grid = cv2.perspectiveTransform(copy.reshape(-1, 1, 2), np.linalg.inv(homography))
    grid = grid.reshape(height, width, 2) - (SIZE - 1) / 2
    cells = np.floor(grid / MODEL.cell).astype(int) % MODEL.plane_size
    pixels = plane[cells[..., 1], cells[..., 0]].astype(np.float32)
    maps = {}
    for row, col in ((0, 0), *half_cell_phases(MODEL)):
        shifted = pixels[row:, col:]
        cell_rows, cell_cols = (side // MODEL.cell for side in shifted.shape)
        centres = shifted[MODEL.cell // 2 :: MODEL.cell, MODEL.cell // 2 :: MODEL.cell]
        maps[(row, col)] = centres[:cell_rows, :cell_cols]
    return maps


def test_a_blocks_evidence_peaks_one_period_across_and_down():
    maps = periodic_phase_maps(np.eye(3))
    evidence = block_evidence(half_cell_map(maps, MODEL), SHAPE, MODEL, CONFIG)
    middle = int(np.argmin(np.hypot(*evidence.centres.T)))
    magnitude = evidence.magnitude[middle]
    reach, period = evidence.reach, PERIOD // 2  # half cells
    assert magnitude[reach, reach + period] > 10 and magnitude[reach + period, reach] > 10
    assert magnitude[reach + period // 2, reach + period // 2] < 3  # half a period: nothing


def the_attacks_perspective(shift: float) -> np.ndarray:
    """`attacks.perspective`'s homography (grid -> copy) on an analysis image of SHAPE."""
    height, width = SHAPE
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dx, dy = shift * width, shift * height
    moved = corners + np.float32([[dx, 0], [-dx, dy], [0, -dy], [0, 0]])
    return cv2.getPerspectiveTransform(corners, moved)


@pytest.mark.parametrize(
    "truth",
    [
        _homography(keystone(0.13, -0.13, scale=0.95)[0], SHAPE),
        _homography(keystone(-0.1, 0.05, scale=1.05)[0], SHAPE),
        _homography(keystone(0.0, 0.0, scale=0.92)[0], SHAPE),
        the_attacks_perspective(0.06),
    ],
    ids=["keystone", "keystone-other-way", "scale-only", "attack"],
)
def test_a_warp_is_found_from_what_the_extractor_reads(truth: np.ndarray):
    found = find_perspective(periodic_phase_maps(truth), SHAPE, MODEL, CONFIG)
    corners = np.array([[[0.0, 0.0], [SIZE[0], 0.0], [SIZE[0], SIZE[1]], [0.0, SIZE[1]]]])
    moved = [cv2.perspectiveTransform(corners, matrix)[0] for matrix in (truth, found.homography)]
    # but for a translation (left to the reader's search for a crop off the centre)
    errors = (moved[0] - moved[0].mean(axis=0)) - (moved[1] - moved[1].mean(axis=0))
    assert np.abs(errors).max() < 0.015 * SIZE[0]  # corners within 1.5% of the width


def test_on_noise_the_evidence_is_nought_on_average():
    noise = {
        phase: np.random.default_rng(index).random((144, 256)).astype(np.float32)
        for index, phase in enumerate(((0, 0), *half_cell_phases(MODEL)))
    }
    evidence = block_evidence(half_cell_map(noise, MODEL), SHAPE, MODEL, CONFIG)
    measured = evidence.magnitude != 0
    assert abs(evidence.magnitude[measured].mean()) < 0.05
    corner = evidence.magnitude[0]  # the top-left block: no lag up or left is measured
    reach = evidence.reach
    assert not corner[: reach - CONFIG.block // 2, :].any()
    assert not corner[:, : reach - CONFIG.block // 2].any()


def test_a_copy_too_small_to_hold_enough_periods_is_not_searched_for_a_warp():
    assert warp_fits(SHAPE, MODEL, CONFIG)
    assert not warp_fits((321, 481), MODEL, CONFIG)


def test_unwarp_undoes_the_warp_it_is_given():
    luma = cv2.GaussianBlur(np.random.default_rng(1).random(SHAPE).astype(np.float32), (0, 0), 3)
    truth = the_attacks_perspective(0.06)
    warped = cv2.warpPerspective(luma, truth, (SHAPE[1], SHAPE[0]), flags=cv2.INTER_LINEAR)
    back = unwarp(warped, Perspective(truth))
    inner = (slice(100, -100), slice(150, -150))  # inside the copy's picture
    assert np.abs(back[inner] - luma[inner]).mean() < 0.01
    np.testing.assert_allclose(unwarp(luma, Perspective(np.eye(3))), luma, atol=1e-6)


def test_a_photo_of_a_screen_is_found_and_read(watermarker):
    marked = watermarker.embed_plane(photo(1080, 1920, seed=5), plane := random_plane(), "auto")
    copy = attacks.apply(marked, "perspective:0.06")
    assert watermarker.verify_plane(copy, plane).present
    extraction = watermarker.read(copy)
    assert extraction.perspective is not None
    assert bit_accuracy(plane, extraction.plane) > 0.95


def random_plane() -> np.ndarray:
    return np.random.default_rng(11).integers(0, 2, (MODEL.plane_size,) * 2)


def test_where_no_grid_reads_consistently_the_copy_unwarped_is_one_more_candidate():
    luma = (luma_of(photo(*SHAPE, seed=3)) / np.float32(255)).astype(np.float32)
    reading = locate(luma, (1080, 1920), coin_extractor, MODEL, SYNC)
    assert sum(grid.perspective is not None for grid in (reading, *reading.others)) == 1
    small = luma[:320, :480]  # too few periods on its short side to tell a warp by
    reading = locate(small, small.shape, coin_extractor, MODEL, SYNC)
    assert all(grid.perspective is None for grid in (reading, *reading.others))
