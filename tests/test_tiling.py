import numpy as np
import pytest

from watermark.core.tiling import analysis_shape, fold, plane_map, resize, working_shape


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((1200, 1920), (640, 1024)),
        ((4000, 3000), (1024, 768)),
        ((321, 481), (344, 512)),  # a small photo: worked at a long side of 512
        ((800, 600), (512, 384)),
        ((128, 128), (256, 256)),  # a thumbnail: enlarged twice at most
        ((130, 141), (256, 280)),  # rounded to pairs of 4-px cells: the centre is a corner
        ((129, 3000), (128, 2976)),  # the short side stays ≥ 128: long side kept longer
    ],
)
def test_working_shape(shape, expected):
    assert working_shape(*shape) == expected


@pytest.mark.parametrize(
    "sizes",
    [[(1200, 1920), (2400, 3840), (1080, 1728)], [(321, 481), (257, 385), (480, 720)]],
    ids=["large", "small"],
)
def test_working_shape_is_resize_invariant(sizes):
    assert len({working_shape(*size) for size in sizes}) == 1


def test_a_copy_is_read_at_its_own_size_up_to_the_large_working_size():
    assert analysis_shape(321, 481) == (320, 480)
    assert analysis_shape(1200, 1920) == (640, 1024)


def test_fold_inverts_plane_map():
    plane = np.random.default_rng(0).integers(0, 2, (32, 32))
    tiled = plane_map(plane, (640, 1024))
    assert tiled.shape == (160, 256)
    assert np.array_equal(fold(tiled), plane)


def test_plane_starts_at_the_centre_cell():
    plane = np.arange(32 * 32).reshape(32, 32)
    tiled = plane_map(plane, (200, 328))  # 50×82 cells: the centre corner is cell (25, 41)
    assert tiled[25, 41] == 0 and tiled[25, 41 + 32] == 0 and tiled[24, 40] == plane[-1, -1]


def test_fold_from_another_origin_rolls_the_plane():
    plane = np.random.default_rng(1).integers(0, 2, (32, 32)).astype(np.float32)
    bit_map = np.tile(plane, (3, 3))[5:90, 7:80]  # a crop: the plane starts at cell (27, 25)
    assert np.array_equal(fold(bit_map, origin=(27, 25)), plane)


def test_fold_of_partial_period_reads_half_where_nothing_is_known():
    bit_map = np.ones((20, 40), np.float32)
    folded = fold(bit_map, origin=(0, 0))
    assert (folded[:20] == 1).all() and (folded[20:] == 0.5).all()


def test_fold_averages_copies():
    bit_map = np.zeros((64, 32), np.float32)
    bit_map[:32] = 1.0
    assert np.allclose(fold(bit_map), 0.5)


def test_resize_keeps_values_and_shape():
    array = np.full((100, 60), 0.25, np.float32)
    assert resize(array, (50, 30)).shape == (50, 30)
    assert np.allclose(resize(array, (200, 120)), 0.25)
    assert resize(array, (100, 60)) is array
