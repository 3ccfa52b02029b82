"""The keyed cells (`core.layout`): what does not repeat, and where a tile was."""

import numpy as np
import pytest

from watermark.config import MODEL, SYNC
from watermark.core.layout import layout, tile_origins
from watermark.core.tiling import fold, keyed_bits, keyed_cells, plane_map, tile
from watermark.core.verify import informative

PLANE = np.random.default_rng(3).integers(0, 2, (32, 32)).astype(np.uint8)


def test_the_keyed_cells_are_a_block_around_each_periods_corner():
    keyed = keyed_bits()
    assert keyed.sum() == 144 and keyed[:6, :6].all() and keyed[-6:, -6:].all()
    assert not keyed[6:26].any() and not keyed[:, 6:26].any()
    assert np.array_equal(keyed, keyed[::-1, ::-1].T)  # a mirror or turn keeps them keyed
    cells = keyed_cells((64, 96))  # origin: the centre cell (32, 48)
    assert cells[32, 48] and cells[31, 47] and not cells[40, 48] and cells.mean() == 144 / 1024


def test_laying_is_undone_by_the_same_key_only():
    tiled = plane_map(PLANE, (768, 1024))
    laid = layout("k").apply(tiled)
    assert np.array_equal(layout("k").apply(laid), tiled)
    assert np.array_equal(layout("k").fold(laid) > 0.5, PLANE == 1)
    flipped = laid != tiled
    assert not flipped[~keyed_cells(tiled.shape)].any()  # only keyed cells move
    assert 0.4 < flipped[keyed_cells(tiled.shape)].mean() < 0.6  # about half of them
    assert not np.array_equal(layout("other").apply(tiled), laid)


def test_without_the_key_averaging_estimates_the_repeating_cells_only():
    laid = layout("k").apply(plane_map(PLANE, (1024, 1024)))
    folded = fold(laid)  # what averaging over the period sees (64 copies of each bit)
    keyed = keyed_bits()
    assert np.array_equal(folded[~keyed], PLANE[~keyed])
    assert np.abs(folded[keyed] - 0.5).mean() < 0.1  # a coin per keyed bit


def test_a_crop_off_the_centre_is_placed_again_by_its_tile_origins():
    laid = layout("k").apply(plane_map(PLANE, (1024, 1024)))  # 256×256 cells, origin (128, 128)
    crop = laid[37 : 37 + 150, 90 : 90 + 120]  # the first cell is now at (91, 38)
    shift = (-91 % 32, -38 % 32)
    origins = tile_origins(crop.shape, shift)
    assert (91, 38) in origins
    assert np.array_equal(layout("k").fold(crop, (91, 38)) > 0.5, PLANE == 1)
    wrong = [layout("k").fold(crop, origin) > 0.5 for origin in origins if origin != (91, 38)]
    assert all((plane[keyed_bits()] != PLANE[keyed_bits()]).mean() > 0.3 for plane in wrong)


def test_what_repeats_in_the_keyed_cells_does_not_count():
    """An averaged copy is the same at every period: in the keyed cells, it reads nothing."""
    laid = layout("k").apply(plane_map(PLANE, (1024, 1024)))
    averaged = plane_map(fold(laid) > 0.5, (1024, 1024))
    read = layout("k").fold(averaged)
    keyed = keyed_bits()
    assert np.array_equal(read[~keyed], PLANE[~keyed]) and np.allclose(read[keyed], 0.5)


def test_read_as_they_are_the_keyed_cells_of_a_small_crop_read_whole():
    """Of a crop of two periods a side, many keyed bits are flipped alike in every copy: by
    departures they read nothing; `extract`, owing no p-value, reads them as they are."""
    soft = layout("k").apply(plane_map(PLANE, (1024, 1024))) * np.float32(0.8) + np.float32(0.1)
    crop, origin = soft[96:160, 96:160], (32, 32)
    keyed = keyed_bits()
    by_departures = layout("k").fold(crop, origin)
    as_they_are = layout("k").read_as_they_are().fold(crop, origin)
    assert not informative(by_departures)[keyed].all()
    assert np.array_equal(as_they_are > 0.5, PLANE == 1)
    assert np.array_equal(as_they_are[~keyed], by_departures[~keyed])


@pytest.mark.parametrize("shift", [(0, 0), (5, 17), (31, 1)])
def test_how_many_places_are_tried_depends_on_the_size_only(shift):
    assert len(tile_origins((150, 120), shift)) == len(tile_origins((150, 120), (0, 0)))
    half = MODEL.work_long_side // (2 * MODEL.cell)
    for row, col in tile_origins((150, 120), shift):
        assert (row + shift[0]) % 32 == 0 and (col + shift[1]) % 32 == 0
        assert 150 - half - 32 <= row <= half + 32 + 32


def test_the_key_alone_finds_where_a_crop_off_the_centre_came_from():
    laid = layout("k").apply(plane_map(PLANE, (1024, 1024)))
    rng = np.random.default_rng(7)
    soft = np.clip(laid[37 : 37 + 150, 90 : 90 + 120] + rng.normal(0, 0.6, (150, 120)), 0, 1)
    origin, clearness = layout("k").origin(soft)
    assert origin == (91, 38) and clearness > 10
    _, unmarked = layout("k").origin(rng.random((150, 120)))
    _, other_key = layout("other").origin(soft)
    assert unmarked < 6 and other_key < 6


def test_a_small_maps_place_must_be_clearer_than_the_places_decoys_find_in_it():
    """On a small map a wrong place can look clearer than `origin`'s usual bar; `placed` also
    asks it to beat layouts of no key on the same map."""
    rng = np.random.default_rng(3)
    laid = layout("k").apply(plane_map(PLANE, (1024, 1024)))
    soft = np.clip(laid[37 : 37 + 50, 90 : 90 + 80] + rng.normal(0, 0.5, (50, 80)), 0, 1)
    bars = SYNC.decoy_layouts, SYNC.keyed_clearness, SYNC.centre_clearness
    assert layout("k").placed(soft, *bars) == (91, 38)
    noise = [rng.random((50, 80)).astype(np.float32) for _ in range(36)]
    above_floor = sum(layout("k").origin(bits)[1] >= SYNC.keyed_clearness for bits in noise)
    placed = sum(layout("k").placed(bits, *bars) is not None for bits in noise)
    assert placed < above_floor and placed <= 2 * len(noise) / (SYNC.decoy_layouts + 1)


def test_the_centre_stays_the_place_where_the_keyed_cells_favour_it():
    """A copy read in place is the likeliest: where the centre is favoured among the places
    about it (a lower bar than `keyed_clearness`), a clearer place elsewhere does not win."""
    cells, elsewhere = (80, 128), (62, 30)  # the centre cell is (40, 64)
    in_place = layout("k").apply(tile(PLANE, cells)) - 0.5
    moved = layout("k").apply(tile(PLANE, cells, elsewhere), elsewhere) - 0.5
    noise = np.random.default_rng(5).normal(0, 0.25, cells)
    bars = SYNC.decoy_layouts, SYNC.keyed_clearness, SYNC.centre_clearness
    for centre_weight, place in ((0.15, (40, 64)), (0.0, elsewhere)):
        soft = np.clip(0.5 + centre_weight * in_place + 0.3 * moved + noise, 0, 1)
        assert layout("k").origin(soft)[0] == elsewhere
        assert layout("k").placed(soft.astype(np.float32), *bars) == place


def test_a_grid_read_in_place_is_checked_around_its_centre():
    laid = layout("k").apply(plane_map(PLANE, (512, 512)))  # origin: the centre cell (64, 64)
    assert layout("k").origin(laid, around=(64, 64))[0] == (64, 64)
    moved = np.roll(laid, (3, -5), axis=(0, 1))
    assert layout("k").origin(moved, around=(64, 64))[0] == (67, 59)


def test_a_map_larger_than_any_working_image_is_placed_about_its_centre():
    """As a grid enlarged by a wrong lattice reads: its first cell is looked for a period's
    worth about the centre, where it would be had it been read in place."""
    bit_map = np.random.default_rng(1).random((400, 360)).astype(np.float32)
    (row, col), _ = layout("k").origin(bit_map)
    assert abs(row - 200) <= 16 and abs(col - 180) <= 16
    assert len(tile_origins((400, 360), (5, 7))) == 1


def test_a_keyed_bit_read_once_says_nothing_and_is_not_counted():
    """One copy of a keyed cell departs from its own mean by nothing: `verify` leaves it out."""
    soft = layout("k").apply(plane_map(PLANE, (1024, 1024))) * np.float32(0.8) + np.float32(0.1)
    crop = soft[100:150, 100:150]  # one period and a bit: most keyed bits have one copy
    origin = (28, 28)
    read = layout("k").fold(crop, origin)
    keyed = keyed_bits()
    told = informative(read)
    assert told[~keyed].all() and 0 < told[keyed].sum() < 144
    assert np.array_equal(read[told & keyed] > 0.5, PLANE[told & keyed] == 1)
