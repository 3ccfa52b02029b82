import numpy as np
import pytest

from tests.images import photo
from watermark.config import MODEL, SYNC
from watermark.core import attacks
from watermark.core.layout import layout
from watermark.core.luma import luma as luma_of
from watermark.core.search import ORIENTATIONS, UPRIGHT, Orientation, Search

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


def test_the_search_reads_exactly_what_it_plans():
    luma = (luma_of(photo(512, 768, seed=4)) / np.float32(255)).astype(np.float32)
    search = Search(luma, (512, 768), coin_extractor, layout("k"), SYNC)
    placed = list(search.placed())
    aligned = list(search.aligned(np.zeros((32, 32), np.uint8)))
    assert len(placed) == search.planned.in_place == 1 + len(search.reading.others) + 7
    assert len(aligned) == search.planned.aligned > 4
    assert search.tried == search.planned
    assert search.planned.total() == search.planned.in_place + search.planned.aligned
    assert search.planned.total(1024) == search.planned.in_place + 1024 * search.planned.aligned
