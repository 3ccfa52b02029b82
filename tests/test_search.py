import numpy as np
import pytest

from watermark.core import attacks
from watermark.core.search import ORIENTATIONS, UPRIGHT, Orientation, Tries

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


def test_tries_count_every_shift():
    assert Tries(in_place=10, shifted=4).total(1024) == 10 + 4 * 1024
