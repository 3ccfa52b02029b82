import numpy as np
import pytest

from tests.images import photo
from watermark.core import attacks

IMAGE = photo(120, 160, seed=2)


@pytest.mark.parametrize("spec", attacks.DEFAULT_SUITE)
def test_every_attack_returns_uint8_rgb(spec):
    out = attacks.apply(IMAGE, spec)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert IMAGE.shape == (120, 160, 3)  # the input is not modified in place


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ("resize:0.5", (60, 80, 3)),
        ("crop:0.25", (60, 80, 3)),
        ("rotate:5", (120, 160, 3)),
        ("turn:90", (160, 120, 3)),
        ("turn:180", (120, 160, 3)),
        ("stretch:0.8", (120, 128, 3)),
        ("perspective:0.06", (120, 160, 3)),
        ("repost:100", (75, 100, 3)),
    ],
)
def test_geometry(spec, shape):
    assert attacks.apply(IMAGE, spec).shape == shape


def test_centre_crop_takes_the_centre():
    assert np.array_equal(attacks.apply(IMAGE, "crop:0.25"), IMAGE[30:90, 40:120])


@pytest.mark.parametrize("spec", ["jpeg:30", "noise:10", "blur:2", "median:3", "webp:75"])
def test_distortions_change_pixels(spec):
    change = np.abs(attacks.apply(IMAGE, spec).astype(int) - IMAGE).mean()
    assert change > 0.5


def test_strength_orders_the_damage():
    def damage(spec: str) -> float:
        return float(np.abs(attacks.apply(IMAGE, spec).astype(int) - IMAGE).mean())

    assert damage("jpeg:30") > damage("jpeg:90")
    assert damage("noise:10") > damage("noise:5")


def test_colour_attacks():
    assert attacks.apply(IMAGE, "brightness:1.3").mean() > IMAGE.mean() + 10
    grey = attacks.apply(IMAGE, "grayscale")
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    assert attacks.apply(IMAGE, "contrast:1.5").std() > IMAGE.std()


def test_noise_is_repeatable():
    assert np.array_equal(attacks.apply(IMAGE, "noise:5"), attacks.apply(IMAGE, "noise:5"))


def test_parse():
    assert attacks.parse("jpeg:50") == ("jpeg", 50.0)
    assert attacks.parse("jpeg") == ("jpeg", 75)
    with pytest.raises(ValueError, match="unknown attack"):
        attacks.parse("sharpen:2")
    with pytest.raises(ValueError, match="must be a number"):
        attacks.parse("jpeg:high")


def test_mirror_swaps_left_and_right():
    assert np.array_equal(attacks.apply(IMAGE, "mirror"), IMAGE[:, ::-1])
    assert np.array_equal(attacks.apply(attacks.apply(IMAGE, "mirror"), "mirror"), IMAGE)


def test_a_chain_applies_its_attacks_in_turn():
    chained = attacks.apply(IMAGE, "resize:0.5+jpeg:50")
    assert np.array_equal(chained, attacks.apply(attacks.apply(IMAGE, "resize:0.5"), "jpeg:50"))
    with pytest.raises(ValueError, match="unknown attack 'sharpen'"):
        attacks.apply(IMAGE, "resize:0.5+sharpen:2")


def test_turns_compose_to_the_original():
    assert np.array_equal(np.rot90(attacks.apply(IMAGE, "turn:90"), -1), IMAGE)
    assert np.array_equal(attacks.apply(IMAGE, "turn:360"), IMAGE)
    with pytest.raises(ValueError, match="multiple of 90"):
        attacks.apply(IMAGE, "turn:45")


def test_perspective_pins_the_bottom_left_corner_only():
    warped = attacks.apply(IMAGE, "perspective:0.06").astype(int)
    moved = np.abs(warped - IMAGE).mean(axis=2)
    assert moved[-4:, :4].mean() < moved.mean() / 2
