"""The content hash that binds the keyed cells to their photo (`core.binding`, `Layout.bound`)."""

import numpy as np
import pytest

from tests.images import photo
from watermark.config import MODEL
from watermark.core.binding import binding_pattern, content_signs
from watermark.core.keys import key_seed
from watermark.core.layout import layout
from watermark.core.luma import luma as luma_of
from watermark.core.tiling import keyed_bits, keyed_cells, plane_map

PATTERN = binding_pattern(key_seed("k"), MODEL)


def working_luma(seed: int, shape: tuple[int, int] = (512, 768)) -> np.ndarray:
    return (luma_of(photo(*shape, seed=seed)) / np.float32(255)).astype(np.float32)


def content_flips(luma: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Where the content flips the cells, as the embedder does."""
    return content_signs(luma, pattern, MODEL) < 0


def test_the_pattern_is_blind_to_trends_and_keyed():
    rows, cols = (axis.ravel() for axis in np.mgrid[0:4, 0:4].astype(np.float32))
    for trend in [np.ones_like(rows), rows, cols, rows * rows, rows * cols, cols * cols]:
        assert abs(float(np.sum(PATTERN * trend))) < 1e-4
    assert np.linalg.norm(PATTERN) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(PATTERN, binding_pattern(key_seed("other"), MODEL))


def test_one_sign_per_cell_read_a_trend_moves_none_and_a_contrast_change_few():
    luma = working_luma(1)
    signs = content_signs(luma, PATTERN, MODEL)
    assert signs.shape == (128, 192) and np.abs(signs).max() <= 1.0
    assert np.abs(signs[0]).max() <= 0.5 and np.abs(signs[:, -1]).max() <= 0.5  # half cut
    inside = signs[8:-8, 8:-8]
    assert np.mean(np.abs(inside) == 1.0) > 0.5  # trusted: most cells of a photo-like image
    flips = content_flips(luma, PATTERN)
    assert 0.3 < flips[8:-8, 8:-8].mean() < 0.7
    assert content_flips(luma[:, :-3], PATTERN).shape == (128, 191)
    rows = np.linspace(0.0, 0.2, luma.shape[0], dtype=np.float32)[:, None]
    inner = (slice(16, -16), slice(16, -16))  # away from the mirrored borders
    shaded = content_flips(luma + rows, PATTERN)
    assert np.array_equal(shaded[inner], flips[inner])
    duller = content_flips(luma * 0.9, PATTERN)  # the floor is not scaled: cells near it move
    assert np.mean(duller[inner] == flips[inner]) > 0.97


def test_a_flat_photo_flips_no_cell_and_trusts_them_inside():
    flat = np.full((512, 768), 0.9, np.float32)
    flat += np.random.default_rng(0).normal(0, 0.5 / 255, flat.shape).astype(np.float32)
    signs = content_signs(flat, PATTERN, MODEL)
    assert signs.min() > 0.0 and signs[8:-8, 8:-8].min() > 0.5


def test_a_photo_keeps_its_hash_through_noise_and_another_photo_has_its_own():
    luma = working_luma(1)
    inner = (slice(8, -8), slice(8, -8))  # where the neighbourhoods are whole
    flips = content_flips(luma, PATTERN)[inner]
    noise = np.random.default_rng(0).normal(0, 2 / 255, luma.shape).astype(np.float32)
    assert np.mean(content_flips(luma + noise, PATTERN)[inner] == flips) > 0.97
    other = content_flips(working_luma(2), PATTERN)[inner]
    assert 0.4 < np.mean(other == flips) < 0.6
    other_key = content_flips(luma, binding_pattern(key_seed("other"), MODEL))[inner]
    assert 0.3 < np.mean(other_key == flips) < 0.7  # two random directions in 10 dimensions


def test_a_bound_layout_flips_keyed_cells_by_the_content_too():
    luma = working_luma(1)
    tiled = plane_map(np.random.default_rng(3).integers(0, 2, (32, 32)), luma.shape)
    bound = layout("k").bound(luma)
    laid = bound.apply(tiled)
    assert np.array_equal(bound.apply(laid), tiled)
    moved = laid != layout("k").apply(tiled)
    keyed = keyed_cells(tiled.shape)
    assert not moved[~keyed].any()
    assert np.array_equal(moved[keyed], content_flips(luma, PATTERN)[keyed])
    with pytest.raises(ValueError, match="bound to a map"):
        bound.apply(tiled[:-1])


def test_the_public_layout_is_not_bound():
    public = layout(None)
    assert public.bound(working_luma(1)) is public


def test_a_copy_from_a_flat_photo_reads_turned_over_where_this_photo_flips_cells():
    luma = working_luma(1)
    plane = np.random.default_rng(3).integers(0, 2, (32, 32))
    tiled = plane_map(plane, luma.shape)
    bound = layout("k").bound(luma)
    flipped, cover = bound.fold_flipped(bound.apply(tiled))
    keyed = keyed_bits(MODEL)
    assert np.all(cover[~keyed] == 0) and np.all(cover[keyed] > 0.1)
    assert np.array_equal(flipped[keyed] > 0.5, plane[keyed] == 1)  # made here: the mark
    flat = layout("k").bound(np.full_like(luma, 0.9))  # a flat photo's cells, copied here
    copied, _ = bound.fold_flipped(flat.apply(tiled))
    assert np.array_equal(copied[keyed] > 0.5, plane[keyed] == 0)  # turned over
    assert np.array_equal(bound.fold(bound.apply(tiled)) > 0.5, plane == 1)
