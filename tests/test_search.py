import math

import numpy as np
import pytest

from tests.images import photo
from watermark import Watermarker
from watermark.config import MODEL, SYNC
from watermark.core import attacks
from watermark.core import search as search_module
from watermark.core.layout import layout, tile_origins
from watermark.core.luma import luma as luma_of
from watermark.core.reading import Grid, Reading, cell_phases, half_cell_phases
from watermark.core.search import ORIENTATIONS, UPRIGHT, Orientation, Search, Tries

IMAGE = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)


def transformed(image: np.ndarray, orientation: Orientation) -> np.ndarray:
    """What an editor does: mirror (if so), then turn."""
    mirrored = attacks.mirror(image) if orientation.mirrored else image
    return attacks.turn(mirrored, 90 * orientation.turns)


@pytest.mark.parametrize("orientation", ORIENTATIONS, ids=str)
def test_each_orientation_undoes_its_edit(orientation: Orientation):
    assert np.array_equal(orientation.undo(transformed(IMAGE, orientation)), IMAGE)


def test_the_orientations_are_the_eight_distinct_ones_upright_first():
    assert ORIENTATIONS[0] == UPRIGHT and len(set(ORIENTATIONS)) == 8
    results = {transformed(IMAGE, orientation).tobytes() for orientation in ORIENTATIONS}
    assert len(results) == 8


def coin_extractor(image: np.ndarray) -> np.ndarray:
    """A stand-in extractor: coin flips, one per cell (4×4 px)."""
    rows, cols = image.shape[1] // MODEL.cell, image.shape[2] // MODEL.cell
    return np.random.default_rng(rows * cols).random((1, rows, cols, 1)).astype(np.float32)


def test_the_search_reads_what_it_plans_and_plans_for_any_phase():
    luma = (luma_of(photo(512, 768, seed=4)) / np.float32(255)).astype(np.float32)
    search = Search(luma, (512, 768), coin_extractor, layout("k"), SYNC)
    placed = list(search.placed())
    aligned = list(search.aligned(np.zeros((32, 32), np.uint8)))
    assert len(placed) == search.planned.in_place == 1 + len(search.reading.others) + 7
    assert search.tried == Tries(search.planned.in_place, len(aligned))
    height, width = (side // MODEL.cell for side in search.reading.image.shape)
    worst = tile_origins((height - 1, width - 1), (0, 0))  # a pixel off in both directions
    assert len(aligned) <= search.planned.aligned == len(worst) >= 1  # on any grid (coins)
    assert search.planned.total() == search.planned.in_place + search.planned.aligned
    assert search.planned.total(1024) == search.planned.in_place + 1024 * search.planned.aligned


def test_the_phase_search_takes_the_half_cell_readings_locate_made(monkeypatch):
    """`locate` ranks a lattice seen in the copy at the half-cell phases too: `Search.phase`
    takes those readings (here one whose periods agree perfectly, at (2, 2)) and reads only
    the other phases."""
    luma = (luma_of(photo(512, 512, seed=4)) / np.float32(255)).astype(np.float32)
    periodic = np.tile(np.random.default_rng(2).random((32, 32)), (4, 4)).astype(np.float32)
    known = {
        phase: coin_extractor(luma[None, ..., None])[0, ..., 0] for phase in half_cell_phases(MODEL)
    }
    known[(2, 2)] = periodic
    reading = Reading(
        coin_extractor(luma[None, ..., None])[0, ..., 0], None, luma, phase_maps=known
    )
    monkeypatch.setattr(search_module, "locate", lambda *arguments, **keywords: reading)
    calls = []

    def counting_extractor(image: np.ndarray) -> np.ndarray:
        calls.append(image.shape)
        return coin_extractor(image)

    search = Search(luma, luma.shape, counting_extractor, layout("k"), SYNC)
    before = len(calls)  # the copy read as it is
    assert search.phase == (2, 2)
    assert len(calls) - before == len(cell_phases(MODEL)) - 1 - len(known)


def test_a_crop_by_part_of_a_cell_is_read_at_its_phase(watermarker):
    """The crop starts 3 rows and 2 columns past a cell's corner: cells start again there."""
    marked = watermarker.embed_plane(photo(768, 1024, seed=7), np.eye(32, dtype=np.uint8))
    luma = (luma_of(marked[101:613, 302:942]) / np.float32(255)).astype(np.float32)
    search = Search(luma, luma.shape, watermarker.extractor, layout(None), SYNC)
    assert search.reading.lattice is None and search.phase == (3, 2)


def test_a_copy_on_another_grid_is_read_as_it_is_then_on_that_grid_as_planned(watermarker):
    """A stretched copy: its likeliest grid is a rectified one, read whole after the copy as
    it is and as if only resized (smaller than the working size, it may be), none of them
    read again among the other grids."""
    marked = watermarker.embed_plane(photo(768, 1024, seed=7), np.eye(32, dtype=np.uint8))
    luma = (luma_of(attacks.apply(marked, "stretch:0.8")) / np.float32(255)).astype(np.float32)
    search = Search(luma, luma.shape, watermarker.extractor, layout(None), SYNC)
    placed = list(search.placed())
    assert search.reading.lattice is not None and search.upright is not search.as_is
    first = [search.as_is, *search.implied, search.upright]
    assert len(search.implied) == 2 and placed[:4] == first
    assert len(placed) == search.planned.in_place == search.tried.in_place


def test_the_turned_readings_locate_made_are_not_made_again():
    """A copy that reads consistently only mirrored back (the stand-in extractor sees the
    bright left column on the right): `locate` reads its turned windows to rank it, and
    `Search.turned` gives those readings back, no new read."""
    plane = np.random.default_rng(1).random((32, 32)).astype(np.float32)
    calls = []

    def mirror_reader(image: np.ndarray) -> np.ndarray:
        calls.append(image.shape)
        if image[0, :, -1, 0].min() < 1.0:
            return coin_extractor(image)
        rows, cols = image.shape[1] // MODEL.cell, image.shape[2] // MODEL.cell
        return np.tile(plane, (rows // 32, cols // 32))[None, ..., None]

    luma = (luma_of(photo(512, 512, seed=4)) / np.float32(255)).astype(np.float32)
    luma[:, 0] = 1.0
    search = Search(luma, luma.shape, mirror_reader, layout("k"), SYNC)
    assert search.reading.lattice is None and len(search.reading.turned_maps) == 7
    before = len(calls)
    turned = [bit_map for _, bit_map, _ in search.turned()]
    assert len(calls) == before
    assert all(
        np.array_equal(a, b) for a, b in zip(turned, search.reading.turned_maps, strict=True)
    )


@pytest.mark.parametrize(
    ("shape", "implied"), [((1024, 1280), 0), ((384, 512), 1), ((300, 400), 2)]
)
def test_the_first_readings_pay_their_share_of_the_budget_before_any_grid_is_searched_for(
    shape: tuple[int, int], implied: int
):
    """The copy as it is and, smaller than the working size, as if only resized (as a large
    original's and a small one's copy), then its likeliest grid: half the budget in equal
    parts."""
    luma = (luma_of(photo(*shape, seed=4)) / np.float32(255)).astype(np.float32)
    search = Search(luma, luma.shape, coin_extractor, layout("k"), SYNC)
    first = math.ceil((2 + implied) / 0.5)
    assert len(search.implied) == implied
    for placement in (search.as_is, *search.implied):
        assert search.paid(placement, 1, 0.5) == first
    assert "reading" not in vars(search)  # not located yet
    assert search.paid(search.upright, 1, 0.5) == first


@pytest.mark.parametrize("share", [0.5, 0.3])
@pytest.mark.parametrize("shifts", [1, 1024])
@pytest.mark.parametrize("shape", [(1024, 1280), (300, 400)])
def test_the_likeliest_readings_share_their_part_of_the_budget_the_rest_split_the_rest(
    monkeypatch, share: float, shifts: int, shape: tuple[int, int]
):
    """A copy whose likeliest grid is not its own (a rectified one, say): it is read whole
    after the copy as it is and as if only resized (a small copy), each paid from an equal
    part of `share`, none read again among the other grids; every other hypothesis of the
    plan paid from the rest; a valid bound."""
    luma = (luma_of(photo(*shape, seed=4)) / np.float32(255)).astype(np.float32)
    rectified, other = np.ascontiguousarray(luma[::-1]), np.ascontiguousarray(luma[:, ::-1])
    bit_map = coin_extractor(rectified[None, ..., None])[0, ..., 0]
    reading = Reading(bit_map, None, rectified, others=(Grid(luma, None), Grid(other, None)))
    monkeypatch.setattr(search_module, "locate", lambda *arguments, **keywords: reading)
    search = Search(luma, luma.shape, coin_extractor, layout("k"), SYNC)
    placed = list(search.placed())
    first = [search.as_is, *search.implied, search.upright]
    assert placed[: len(first)] == first and search.upright is not search.as_is
    planned = search.planned
    assert len(placed) == planned.in_place == len(first) + 1 + 7
    rest = math.ceil((planned.total(shifts) - 1) / (1 - share))
    assert [search.paid(placement, shifts, share) for placement in placed[len(first) :]] == [
        rest
    ] * 8
    paid_first = {search.paid(placement, shifts, share) for placement in first}
    assert paid_first == {math.ceil(len(first) / share)}
    budget = len(first) / paid_first.pop() + (planned.total(shifts) - len(first)) / rest
    assert budget <= 1


class CountingExtractor:
    """The real extractor, counting its reads."""

    def __init__(self, extractor):
        self.extractor, self.reads = extractor, 0

    def __call__(self, image: np.ndarray) -> np.ndarray:
        self.reads += 1
        return self.extractor(image)


@pytest.mark.parametrize("key", [None, "k"])
@pytest.mark.parametrize(
    ("size", "edit", "reads"),
    [((1024, 1280), "identity", 1), ((300, 400), "identity", 2), ((1536, 2048), "resize:0.25", 2)],
)
def test_extract_takes_a_copy_that_shows_the_mark_on_its_grid_as_if_only_resized(
    watermarker, key, size, edit, reads
):
    """One read at working size; under it, two: as it is, then on the original's grid (a
    400-px photo is worked at 512 px; a 2048-px one at 1024, its web-size copy read at 512).
    The plane the whole search reads: no other grid reads the mark better."""
    plane = np.random.default_rng(5).integers(0, 2, (32, 32))
    marked = attacks.apply(watermarker.embed_plane(photo(*size, seed=3), plane, key=key), edit)
    counting = Watermarker()
    counting._extractor = CountingExtractor(watermarker.extractor)
    extraction = counting.read(marked, key)
    assert counting._extractor.reads == reads
    searched = watermarker._search(marked, layout(key).read_as_they_are())
    assert not searched.reading.shown
    assert np.array_equal(extraction.whitened, searched.upright.plane)


@pytest.mark.parametrize("size", [(1024, 1280), (300, 400)])
def test_a_copy_turned_slightly_is_rectified_even_where_it_shows_the_mark_as_it_is(
    watermarker, size
):
    """Turned 0.3°, a copy still shows the mark read as if only resized, less well than
    rectified: its strongest lattice is not that grid, so it is searched."""
    plane = np.random.default_rng(5).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(*size, seed=3), plane)
    turned = attacks.apply(marked, "rotate:0.3")
    search = watermarker._search(turned, layout(None), lambda image, bit_map: True)
    assert not search.reading.shown and search.reading.lattice is not None
