"""Each attack the networks train against means the same in training as in `wm bench`: the
noise layer's counterpart, at the registry attack's parameter, changes luma as the real
attack does (within the rounding to 8 bits that only the real one does, and the codec's or
filter's own small differences)."""

import numpy as np
import pytest

from tests.images import photo
from watermark.core import attacks
from watermark.core.luma import luma

pytestmark = pytest.mark.training

GREY = luma(photo(256, 256, seed=3))
TRAINED = [name for name, attack in attacks.ATTACKS.items() if attack.counterpart]
LEVELS = 0.6  # mean |real − counterpart| allowed, in grey levels (rounding alone is ~0.25)


def counterpart_of(spec: str) -> np.ndarray:
    """The counterpart of `spec` applied to GREY, rounded to grey levels as a saved image."""
    from watermark.nets.tf_env import tf
    from watermark.training import noise_layer

    name, parameter = attacks.parse(spec)
    function = getattr(noise_layer, attacks.ATTACKS[name].counterpart)
    batch = tf.constant(GREY[None, ..., None] / np.float32(255))
    out = function(batch, None if parameter is None else tf.constant(parameter, tf.float32))
    return np.rint(np.clip(out.numpy()[0, ..., 0], 0.0, 1.0) * 255)


def real(spec: str) -> np.ndarray:
    """The registry attack on GREY as an RGB photo, its luma."""
    return luma(attacks.apply(np.repeat(GREY[..., None], 3, axis=2), spec)).astype(np.float64)


def test_every_trained_attack_is_checked_here():
    assert set(TRAINED) == {
        "identity", "jpeg", "noise", "blur", "resize-back", "brightness", "contrast"
    }  # fmt: skip


@pytest.mark.parametrize(
    "spec",
    [
        "identity",
        "jpeg:90",
        "jpeg:50",
        "blur:0.5",
        "blur:1.5",
        "resize-back:0.5",
        "resize-back:0.75",
        "brightness:1.3",
        "brightness:0.7",
        "contrast:1.5",
        "contrast:0.7",
    ],
)
def test_counterpart_changes_luma_as_the_attack_does(spec: str):
    difference = np.abs(real(spec) - counterpart_of(spec)).mean()
    assert difference <= LEVELS, f"{spec}: {difference:.2f} grey levels apart"


@pytest.mark.parametrize("spec", ["noise:5", "noise:12"])
def test_noise_counterpart_has_the_attacks_strength_on_luma(spec: str):
    real_sigma = (real(spec) - GREY).std()
    assert (counterpart_of(spec) - GREY).std() == pytest.approx(real_sigma, rel=0.05)


def test_misregistration_moves_the_residual_a_pixel_at_most():
    from watermark.config import NoiseConfig
    from watermark.nets.tf_env import tf
    from watermark.training.noise_layer import NoiseLayer

    layer = NoiseLayer(NoiseConfig(misregistration=1))
    residual = np.random.default_rng(4).normal(size=(1, 32, 32, 1)).astype(np.float32)
    seen = set()
    for _ in range(40):
        moved = layer.misregister(tf.constant(residual)).numpy()
        shifts = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(moved, np.roll(residual, (dy, dx), axis=(1, 2)))
        ]
        assert len(shifts) == 1
        seen.add(shifts[0])
    assert len(seen) > 3  # and it does move
