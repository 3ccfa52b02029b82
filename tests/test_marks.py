import numpy as np
import pytest

from tests.images import monogram
from watermark.core.marks import MarkError, mark_plane, random_marks, to_grey


def test_plane_is_32_by_32_binary_with_dark_as_one():
    mark = np.full((64, 64), 255, np.uint8)
    mark[:, :32] = 0
    plane = mark_plane(mark)
    assert plane.shape == (32, 32) and plane.dtype == np.uint8
    assert plane[:, :16].all() and not plane[:, 16:].any()


def test_aspect_is_kept_by_padding_with_white():
    wide = np.zeros((20, 80), np.uint8)  # all dark, 4:1
    wide[0, 0] = 255  # not all one colour
    plane = mark_plane(wide)
    rows = np.flatnonzero(plane.any(axis=1))
    assert 7 <= len(rows) <= 9  # 32 × 20/80 = 8 rows of mark, the rest padding
    assert plane[:, :].sum() <= 9 * 32


def test_transparent_pixels_count_as_white():
    rgba = np.zeros((40, 40, 4), np.uint8)  # black everywhere ...
    rgba[10:30, 10:30, 3] = 255  # ... but opaque only in the middle
    plane = mark_plane(rgba)
    assert plane[16, 16] == 1 and plane[0, 0] == 0 and plane[31, 31] == 0


def test_colour_and_uint16_and_bool_marks_are_accepted():
    colour = mark_plane(monogram())
    assert colour.any() and not colour.all()
    assert np.array_equal(mark_plane(monogram().astype(np.uint16) * 257), colour)
    as_bool = np.zeros((32, 32), bool)
    as_bool[8:24, 8:24] = True  # True is white: the square is light
    assert mark_plane(as_bool)[16, 16] == 0 and mark_plane(as_bool)[0, 0] == 1


@pytest.mark.parametrize("value", [0, 255])
def test_mark_of_one_colour_is_refused(value):
    with pytest.raises(MarkError, match="one colour"):
        mark_plane(np.full((50, 50, 3), value, np.uint8))


def test_grey_of_odd_shapes_is_refused():
    with pytest.raises(MarkError):
        to_grey(np.zeros((4, 4, 5), np.uint8))


def test_random_marks_are_binary_planes_of_all_kinds():
    planes = random_marks(60, np.random.default_rng(0))
    assert planes.shape == (60, 32, 32) and planes.dtype == np.float32
    assert set(np.unique(planes)) <= {0.0, 1.0}
    coverage = planes.mean(axis=(1, 2))
    assert coverage.min() < 0.3 and coverage.max() > 0.6  # sparse logos and dense noise
