"""Finding the mark's grid again (`core.lattice`) and reading after crops and rotations
(`core.reading`)."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.images import monogram, photo
from watermark.config import MODEL, SYNC
from watermark.core import attacks, reading
from watermark.core import lattice as lattices_module
from watermark.core import search as search_module
from watermark.core.lattice import (
    Lattice,
    find_lattices,
    near_grid,
    rectify,
    resized_lattices,
    same_grid,
)
from watermark.core.luma import luma
from watermark.core.metrics import bit_accuracy
from watermark.core.reading import (
    Grid,
    _phased_strength,
    _scanned_grid,
    central,
    consistency,
    half_cell_phases,
    locate,
    map_at,
    picture_score,
)


def periodic_texture(height: int, width: int, period: int = 128, seed: int = 0) -> np.ndarray:
    """A smooth photo-like luma in [0, 1] plus a faint pattern repeating every `period` px."""
    rng = np.random.default_rng(seed)
    tile = rng.normal(0, 0.02, (period, period)).astype(np.float32)
    pattern = np.tile(tile, (-(-height // period), -(-width // period)))[:height, :width]
    base = luma(photo(height, width, seed)) / np.float32(255)
    return base + pattern


def turned(luma: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    centre = ((luma.shape[1] - 1) / 2, (luma.shape[0] - 1) / 2)
    matrix = cv2.getRotationMatrix2D(centre, degrees, scale)
    return cv2.warpAffine(luma, matrix, luma.shape[::-1], flags=cv2.INTER_LINEAR)


def test_peaks_are_refined_to_the_sub_pixel_and_those_on_a_windows_edge_refused():
    """A parabola peaked at lag (3.25, -2.25) (x, y) is found from a guess two pixels off; a
    guess whose window's maximum lies on its edge, or whose window leaves the map, finds
    none. Many guesses at once read as each alone."""
    rows, cols = np.indices((41, 41)) - 20
    strength = (10 - (cols - 3.25) ** 2 - (rows + 2.25) ** 2).astype(np.float32)
    guesses = np.array([[2.0, -1.0], [6.0, -2.0], [19.0, 0.0]])
    lags, heights, found = lattices_module._refine_all(strength, guesses)
    assert found.tolist() == [True, False, False]
    assert np.allclose(lags[0], (3.25, -2.25)) and heights[0] == strength[18, 23]
    alone = [lattices_module._refine(strength, guess) for guess in guesses]
    assert alone[1] is alone[2] is None and np.array_equal(alone[0][0], lags[0])


@pytest.mark.parametrize("direction", [0.0, 90.0])
def test_a_zone_is_every_lag_near_its_direction_within_its_lengths(direction: float):
    """Computed on its box only, a zone is what every lag's angle and length say, also on a
    map that is not square."""
    shape, longest = (121, 161), 58
    rows, cols = np.indices(shape) - (np.array(shape) // 2)[:, None, None]
    angle = (np.degrees(np.arctan2(rows, cols)) - direction + 180.0) % 360.0 - 180.0
    length = np.hypot(rows, cols)
    expected = (length >= SYNC.min_period) & (length <= longest)
    expected &= np.abs(angle) <= SYNC.max_rotation
    zone = lattices_module._zone(shape, direction, longest, SYNC)
    assert expected.any() and np.array_equal(zone, expected)


def test_lattice_of_an_unedited_pattern():
    lattice = find_lattices(periodic_texture(512, 768), SYNC)[0]
    assert np.allclose(lattice.across, [128, 0], atol=0.2)
    assert np.allclose(lattice.down, [0, 128], atol=0.2)


@pytest.mark.parametrize(("degrees", "scale"), [(3.0, 1.0), (-5.0, 0.8), (0.0, 1.4)])
def test_lattice_gives_rotation_and_scale(degrees: float, scale: float):
    lattice = find_lattices(turned(periodic_texture(640, 896), degrees, scale), SYNC)[0]
    assert lattice.rotation == pytest.approx(degrees, abs=0.15)
    assert lattice.period == pytest.approx(128 * scale, rel=0.005)


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_lattice_of_a_stretched_copy(factor: float):
    luma = periodic_texture(640, 896)
    stretched = cv2.resize(luma, (round(896 * factor), 640), interpolation=cv2.INTER_AREA)
    lattices = find_lattices(stretched, SYNC)
    assert any(
        np.allclose(lattice.across, [128 * factor, 0], atol=1.0)
        and np.allclose(lattice.down, [0, 128], atol=1.0)
        for lattice in lattices
    )


def test_a_textures_lattice_does_not_hide_the_marks():
    """A stronger periodic texture (tiles every 90 px) over the mark's 128-px pattern."""
    luma = periodic_texture(768, 768) + 2 * periodic_texture(768, 768, period=90, seed=3)
    periods = [round(lattice.period) for lattice in find_lattices(luma, SYNC)]
    assert 128 in periods and 90 in periods


def test_lattice_of_a_short_strip():
    """A wide strip, a little over two periods down: the down peaks are faint."""
    lattice = find_lattices(periodic_texture(272, 960), SYNC)[0]
    assert np.allclose(lattice.across, [128, 0], atol=0.5)
    assert np.allclose(lattice.down, [0, 128], atol=0.5)


@pytest.mark.parametrize(
    "luma",
    [np.full((400, 600), 0.5, np.float32), np.zeros((60, 80), np.float32)],
    ids=["flat", "too small to hold 1.4 periods"],
)
def test_no_lattice_without_a_pattern(luma: np.ndarray):
    assert find_lattices(luma, SYNC) == []


def test_a_photo_without_a_pattern_gets_only_unturned_square_guesses():
    """No turned or stretched lattice; the unturned square ones are proposed whatever their
    strength (weak evidence: one scores just above `min_strength` here)."""
    lattices = find_lattices(luma(photo(512, 768, seed=2)) / np.float32(255), SYNC)
    assert 0 < len(lattices) <= SYNC.unturned_seeds
    for lattice in lattices:
        across, down = np.hypot(*lattice.across), np.hypot(*lattice.down)
        assert abs(lattice.rotation) < 2 and abs(down / across - 1) < SYNC.max_aspect_change
        assert lattice.strength < SYNC.warped_strength


@pytest.mark.parametrize(
    ("across", "down"),
    [((126.05, -22.2), (22.2, 126.05)), ((128.0, 0.0), (0.0, 160.0))],
    ids=["turned 10°", "stretched 1.25"],
)
def test_a_lattice_seen_only_in_all_its_faint_points_is_seeded(across, down):
    """As on a dark textured photo turned or stretched: each of the mark's peaks is below
    `min_strength` (no peak seeds it), among the photo's own stray peaks; together they are
    evidence."""
    size, longest = 2 * 460 + 1, 457
    strength = np.random.default_rng(0).normal(0, 1, (size, size)).astype(np.float32)
    basis = np.array([across, down])
    for step in lattices_module._lattice_steps(basis, longest, SYNC.min_period):
        for x, y in (step @ basis, -(step @ basis)):
            strength[round(y) + size // 2, round(x) + size // 2] = 4.5
    seeds = lattices_module._warped_seeds(strength, longest, SYNC)
    fits = [lattices_module._fit(strength, *seed, longest, SYNC) for seed in seeds]
    assert any(
        fit is not None
        and fit.strength >= SYNC.warped_strength
        and np.allclose([fit.across, fit.down], basis, atol=1.0)
        for fit in fits
    )


def test_rectify_undoes_rotation_and_scale_about_the_centre():
    luma = turned(periodic_texture(640, 896), 4.0, 0.75)
    straight = rectify(luma, find_lattices(luma, SYNC)[0], MODEL)
    assert straight.shape[0] % 8 == 0 and straight.shape[1] % 8 == 0
    again = find_lattices(straight, SYNC)[0]
    assert np.allclose(again.across, [128, 0], atol=0.5)
    assert np.allclose(again.down, [0, 128], atol=0.5)


def test_a_resized_copys_lattices_follow_from_its_size():
    """A 1920×1080 photo is worked at 1024×576 (periods of 240 px); halved, 960×540, its
    copy is analysed at 960×544 (sides of whole 8 px), stretched down by 544/540. Had the copy
    been resized from a small photo, that one was worked at 512×288: periods of 240 px there."""
    large, small = resized_lattices((540, 960), (544, 960), MODEL)
    assert np.allclose(large.across, [120, 0]) and np.allclose(large.down, [0, 120 * 544 / 540])
    assert np.allclose(small.across, [240, 0]) and np.allclose(small.down, [0, 240 * 544 / 540])
    assert resized_lattices((1080, 1920), (576, 1024), MODEL) == []  # read as it is


def test_rectify_leaves_an_unedited_image_alone():
    luma = periodic_texture(512, 768)
    lattice = Lattice(np.array([128.0, 0.0]), np.array([0.0, 128.0]), 50.0)
    assert rectify(luma, lattice, MODEL) is luma


def test_two_lattices_are_one_grid_within_rectifys_tolerance_at_the_rectified_size():
    """Within cell / (2 × long side) of each other, the long side `rectify` brings the image
    to (a period of 128 px): 1/512 for 1024 px. A small copy's lattice of 32 px is measured
    at four times its size, so a scale 1/400 apart is not its grid, though over its own
    256 px it would be."""
    own = Lattice.square(128.0)
    assert same_grid(own, own, (640, 1024), MODEL)
    assert same_grid(Lattice(own.across * (1 + 1 / 1024), own.down, 0.0), own, (640, 1024), MODEL)
    assert not same_grid(
        Lattice(own.across, own.down * (1 + 1 / 128), 0.0), own, (640, 1024), MODEL
    )
    small = Lattice.square(32.0)
    apart = Lattice(small.across * (1 + 1 / 400), small.down, 0.0)
    assert not same_grid(apart, small, (160, 256), MODEL)
    assert same_grid(
        Lattice(small.across * (1 + 1 / 1024), small.down, 0.0), small, (160, 256), MODEL
    )


def test_a_logo_looks_like_a_picture_and_noise_does_not(watermarker):
    logo = watermarker.mark_plane(monogram()).astype(np.float32)
    noise = np.random.default_rng(0).integers(0, 2, (32, 32)).astype(np.float32)
    assert picture_score(logo) > 0.6
    assert abs(picture_score(noise)) < 0.15


@pytest.fixture(scope="module")
def marked_photo(watermarker):
    image, mark = photo(768, 1024, seed=7), monogram()
    return watermarker.embed(image, mark), watermarker.mark_plane(mark)


@pytest.mark.parametrize(
    "attack",
    ["crop:0.5", "resize:0.5", "rotate:3", "chain", "crop-random:0.6", "stretch:0.8", "crop:0.1"],
)
def test_the_mark_is_read_after_geometric_edits(watermarker, marked_photo, attack: str):
    marked, plane = marked_photo
    attacked = attacks.apply(marked, attack)
    reading = watermarker.read(attacked)
    assert bit_accuracy(plane, reading.plane) >= 0.9
    assert watermarker.verify_plane(attacked, plane).present


def test_a_copy_read_as_it_is_pays_for_its_share_of_the_budget_only(watermarker, marked_photo):
    marked, plane = marked_photo
    verdict = watermarker.verify_plane(attacks.apply(marked, "jpeg:50"), plane)
    assert verdict.present and verdict.hypotheses == 4  # half of SyncConfig.first_share


def test_a_copy_that_shows_the_mark_as_it_is_is_found_with_no_search(
    watermarker, marked_photo, monkeypatch
):
    def no_search(*arguments, **keywords):
        raise AssertionError("searched")

    marked, plane = marked_photo
    monkeypatch.setattr(search_module, "locate", no_search)
    assert watermarker.verify_plane(attacks.apply(marked, "jpeg:50"), plane).present
    with pytest.raises(AssertionError, match="searched"):  # not shown as it is: searched
        watermarker.verify_plane(attacks.apply(marked, "jpeg:50"), 1 - plane)


@pytest.mark.parametrize(
    ("size", "edit", "paid"),
    [((300, 400), "resize:0.8+jpeg:85", 8), ((1536, 2048), "resize:0.25", 6)],
)
def test_a_small_copy_only_resized_is_found_with_no_search(
    watermarker, monkeypatch, size, edit, paid
):
    """A small photo resized (worked at 512 px, so its grid moves) or a large one's web-size
    copy (worked at 1024 px): read on the grids its size implies (a large original's and a
    small one's; the second is the 512-px copy's own), judged before any grid is searched
    for, each paid from an equal part of half the budget."""

    def no_search(*arguments, **keywords):
        raise AssertionError("searched")

    plane = np.random.default_rng(5).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(*size, seed=3), plane)
    monkeypatch.setattr(search_module, "locate", no_search)
    verdict = watermarker.verify_plane(attacks.apply(marked, edit), plane)
    assert verdict.present and verdict.hypotheses == paid


@pytest.mark.parametrize(
    ("attack", "orientation"),
    [("mirror", "mirrored"), ("turn:90", "turned 90°"), ("turn:180", "turned 180°")],
)
def test_a_turned_or_mirrored_copy_is_read_the_right_way_round(
    watermarker, marked_photo, attack: str, orientation: str
):
    marked, plane = marked_photo
    attacked = attacks.apply(marked, attack)
    reading = watermarker.read(attacked)
    assert str(reading.orientation) == orientation
    assert bit_accuracy(plane, reading.plane) >= 0.9
    verdict = watermarker.verify_plane(attacked, plane)
    assert verdict.present and verdict.hypotheses >= 8 + 4 * 1024  # orientations, shifts


def test_an_off_centre_crop_is_found_by_the_marks_shape(watermarker, marked_photo):
    """Off by whole cells and by part of one (3 rows, 2 columns)."""
    marked, plane = marked_photo
    reading = watermarker.read(marked[101:613, 302:942])
    assert reading.shift not in (None, (0, 0))
    assert bit_accuracy(plane, reading.plane) >= 0.9


def test_an_off_centre_crop_of_a_random_plane_is_placed_by_the_keyed_cells(watermarker):
    plane = np.random.default_rng(8).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(768, 1024, seed=7), plane, key="k")
    reading = watermarker.read(marked[101:613, 302:942], key="k")
    assert reading.shift not in (None, (0, 0))
    assert bit_accuracy(plane, reading.plane) >= 0.9
    assert bit_accuracy(plane, watermarker.read(marked[101:613, 302:942]).plane) < 0.65  # no key


@pytest.mark.parametrize(
    ("attack", "orientation"), [("mirror", "mirrored"), ("turn:90", "turned 90°")]
)
def test_a_turned_random_plane_is_read_the_right_way_round(watermarker, attack, orientation):
    plane = np.random.default_rng(9).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(768, 1024, seed=7), plane, key="k")
    reading = watermarker.read(attacks.apply(marked, attack), key="k")
    assert str(reading.orientation) == orientation
    assert bit_accuracy(plane, reading.plane) >= 0.9


def test_a_grid_half_a_cell_off_reads_most_consistently_half_a_cell_on(watermarker, marked_photo):
    """A crop 2 rows and 2 columns past a cell's corner: `locate` ranks such a grid by its
    best half-cell phase, (2, 2) here, not by its own."""
    marked, _ = marked_photo
    window = central(luma(marked)[2:514, 2:514] / np.float32(255), SYNC.window)
    own = consistency(map_at(window, (0, 0), watermarker.extractor, MODEL), MODEL)
    others = [
        consistency(map_at(window, phase, watermarker.extractor, MODEL), MODEL)
        for phase in half_cell_phases(MODEL)
    ]
    assert others[-1] == max(others) > own


def test_a_period_repeated_too_few_times_is_found_by_how_consistently_it_reads(
    watermarker, marked_photo
):
    """A centred crop of a marked photo, enlarged 1.5×: 2¼ periods of 192 px on its short side,
    the range `_scanned_grid` scans."""
    marked, _ = marked_photo
    crop = luma(marked[240:528, 320:704]) / np.float32(255)
    enlarged = cv2.resize(crop, (576, 432), interpolation=cv2.INTER_CUBIC)
    grid = _scanned_grid(enlarged, watermarker.extractor, MODEL, SYNC)
    assert grid is not None and grid.lattice.period == pytest.approx(192, rel=0.01)
    assert consistency(grid.window_map, MODEL) > 0.5


def test_a_scanned_grid_must_win_by_its_margin(monkeypatch):
    """The scanned grid is the most consistent of dozens of periods: it is taken only if it
    reads more consistently than the copy as it is by `scan_margin`."""
    flat, gap = np.full((320, 480), 0.5, np.float32), 0.02
    scanned = Grid(flat, Lattice.square(200.0), flat)
    monkeypatch.setattr(reading, "rectified_grids", lambda *args: [])
    monkeypatch.setattr(reading, "_scanned_grid", lambda *args: scanned)
    monkeypatch.setattr(reading, "consistency", lambda bits, _: 0.5 if bits is flat else 0.5 - gap)
    by_less = replace(SYNC, scan_margin=gap - 0.001)
    assert locate(flat, flat.shape, _undecided, MODEL, by_less).lattice is scanned.lattice
    by_more = replace(SYNC, scan_margin=gap + 0.001)
    assert locate(flat, flat.shape, _undecided, MODEL, by_more).lattice is None


def _undecided(batch: np.ndarray) -> np.ndarray:
    """An extractor that reads every pixel as 0.5: no grid reads consistently."""
    return np.full(batch.shape, 0.5, np.float32)


def test_no_period_is_scanned_where_the_copy_holds_too_few():
    tiny = np.full((70, 300), 0.5, np.float32)  # fewer than 1.4 periods of the shortest (56)
    assert _scanned_grid(tiny, lambda image: image, MODEL, SYNC) is None


def test_only_the_strongest_lattices_seen_are_ranked_at_every_half_cell_phase():
    lattices = [None] + [Lattice(np.zeros(2), np.zeros(2), s) for s in (0, 3, 6, 9, 12, 20)]
    assert _phased_strength(lattices, SYNC) == 9  # the 3 strongest
    assert _phased_strength(lattices[:4], SYNC) == SYNC.min_strength  # 6 is seen, 0 and 3 not
    assert _phased_strength([None], SYNC) == np.inf


def test_the_scan_proposes_no_grid_the_copy_already_has(watermarker, marked_photo):
    """A centred crop at the mark's own period (128 px, in the scanned range at this size):
    the best period is the copy's own grid, which `locate` reads already."""
    marked, _ = marked_photo
    crop = luma(marked[224:544, 352:672]) / np.float32(255)  # 320 × 320 about the centre
    assert _scanned_grid(crop, watermarker.extractor, MODEL, SYNC) is None


def test_a_lattice_near_the_grid_is_within_a_share_of_a_period_in_each_entry():
    square = Lattice.square(128.0)
    assert near_grid(Lattice(np.array([130.0, 1.0]), np.array([-2.0, 124.0]), 9.0), square, 0.05)
    assert not near_grid(Lattice.square(140.0), square, 0.05)  # 9% longer
    turned = Lattice(np.array([128.0, 12.0]), np.array([-12.0, 128.0]), 9.0)  # 5.4°
    assert not near_grid(turned, square, 0.05) and near_grid(turned, square, 0.1)
