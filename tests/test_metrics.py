"""PSNR and SSIM against their definitions and a reference implementation (scikit-image)."""

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from tests.images import photo
from watermark.core import attacks
from watermark.core.luma import luma
from watermark.core.metrics import bit_accuracy, largest_change, psnr, ssim, worst_block_psnr

PHOTO = photo(384, 384, seed=5)


@pytest.mark.parametrize("spec", ["noise:3", "noise:20", "blur:1", "jpeg:30", "brightness:1.1"])
def test_ssim_matches_the_reference(spec: str):
    """Wang et al.'s SSIM on luma: Gaussian window σ = 1.5, population covariances. Ours also
    averages the image's 5-px border, which scikit-image leaves out: a difference of ~1e-4."""
    attacked = attacks.apply(PHOTO, spec)
    reference = structural_similarity(
        luma(PHOTO.astype(np.float64)),
        luma(attacked.astype(np.float64)),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert ssim(PHOTO, attacked) == pytest.approx(reference, abs=1e-3)


def test_ssim_of_an_image_with_itself_is_one():
    assert ssim(PHOTO, PHOTO) == pytest.approx(1.0)


def test_psnr_by_its_definition():
    changed = PHOTO.copy()
    row = changed[0, :10, 0]
    changed[0, :10, 0] = np.where(row > 127, row - 5, row + 5)  # 10 values off by 5
    mse = 10 * 25 / PHOTO.size
    assert psnr(PHOTO, changed) == pytest.approx(10 * np.log10(255**2 / mse))
    assert psnr(PHOTO, PHOTO) == float("inf")
    sixteen = PHOTO[..., 0].astype(np.uint16) * 257
    assert psnr(sixteen, sixteen + 257) == pytest.approx(20 * np.log10(65535 / 257))


def test_bit_accuracy_thresholds_at_a_half():
    expected = np.array([[1, 0], [1, 0]])
    assert bit_accuracy(expected, np.array([[0.9, 0.1], [0.4, 0.6]])) == 0.5


def test_the_worst_block_is_seen_where_the_image_psnr_averages_it_away():
    changed = PHOTO.copy()
    block = changed[:32, :32].astype(int)
    changed[:32, :32] = np.where(block > 127, block - 20, block + 20)
    assert worst_block_psnr(PHOTO, changed) == pytest.approx(20 * np.log10(255 / 20))
    assert psnr(PHOTO, changed) > worst_block_psnr(PHOTO, changed) + 20
    assert largest_change(PHOTO, changed) == 20
    assert worst_block_psnr(PHOTO, PHOTO) == float("inf")
