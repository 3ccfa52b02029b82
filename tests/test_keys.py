import numpy as np

from tests.images import monogram
from watermark.core.keys import whitening
from watermark.core.marks import mark_plane


def test_whitening_is_undone_exactly():
    plane = mark_plane(monogram())
    white = whitening(None)
    whitened = white.apply(plane)
    assert whitened.shape == (32, 32) and set(np.unique(whitened)) <= {0, 1}
    assert np.array_equal(white.undo(whitened.astype(np.float32)), plane)


def test_whitened_logo_looks_like_coin_flips():
    whitened = whitening(None).apply(mark_plane(monogram()))
    assert 0.4 < whitened.mean() < 0.6
    horizontal_agreement = np.mean(whitened[:, 1:] == whitened[:, :-1])
    assert 0.4 < horizontal_agreement < 0.6  # no spatial structure left


def test_keys_are_deterministic_and_distinct():
    plane = mark_plane(monogram())
    assert np.array_equal(whitening("k1").apply(plane), whitening("k1").apply(plane))
    agreement = np.mean(whitening("k1").apply(plane) == whitening("k2").apply(plane))
    assert 0.4 < agreement < 0.6


def test_undo_keeps_soft_values():
    soft = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    restored = whitening("k").undo(soft)
    assert np.allclose(
        np.sort(np.abs(2 * restored - 1).ravel()), np.sort(np.abs(2 * soft - 1).ravel())
    )
