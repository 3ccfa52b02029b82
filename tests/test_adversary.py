import numpy as np
import pytest

from tests.images import photo
from watermark.config import MODEL, SYNC
from watermark.core import adversary
from watermark.core.luma import luma
from watermark.core.metrics import psnr

# A 256-px photo is worked at 512 px (see tiling.working_shape): one period is 64 photo px.
PHOTO = photo(256, 256, seed=3)
PATTERN = np.random.default_rng(4).choice([-3.0, 3.0], (16, 16)).repeat(4, 0).repeat(4, 1)


def with_pattern(image: np.ndarray) -> np.ndarray:
    tiled = np.tile(PATTERN, (image.shape[0] // 64, image.shape[1] // 64))
    return np.clip(np.rint(image + tiled[..., None]), 0, 255).astype(np.uint8)


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first.ravel(), second.ravel())[0, 1])


def test_the_fold_estimate_finds_a_pattern_that_repeats_with_the_period():
    estimate = adversary.fold_estimate(with_pattern(PHOTO), MODEL, SYNC)
    truth = np.tile(PATTERN, (4, 4))
    assert correlation(estimate, truth) > 0.6
    assert abs(correlation(adversary.fold_estimate(PHOTO, MODEL, SYNC), truth)) < 0.2


def test_the_denoise_estimate_is_the_fine_detail():
    estimate = adversary.denoise_estimate(PHOTO)
    assert estimate.shape == PHOTO.shape[:2]
    assert abs(float(estimate.mean())) < 1.0 and estimate.std() > 0.5


@pytest.mark.parametrize("decibels", [38.0, 45.0])
def test_the_attacker_pays_the_psnr_asked(decibels: float):
    estimate = adversary.fold_estimate(with_pattern(PHOTO), MODEL, SYNC)
    assert psnr(PHOTO, adversary.forge(PHOTO, estimate, decibels)) == pytest.approx(
        decibels, abs=0.3
    )


def test_strip_takes_out_what_forge_puts_in():
    estimate = np.tile(PATTERN, (4, 4)).astype(np.float32)
    forged = adversary.forge(PHOTO, estimate, 40.0)
    stripped = adversary.strip(forged, estimate, 40.0)
    assert np.abs(luma(stripped).astype(int) - luma(PHOTO)).mean() < 0.6
