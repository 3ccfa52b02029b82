"""Strength per photo: more where the photo needs it (within the visibility budget), less where
it is too visible and has margin to spare."""

from dataclasses import replace

import numpy as np
import pytest

from tests.images import photo
from watermark import Watermarker
from watermark.config import AUTO, STRENGTH
from watermark.core import attacks
from watermark.core.metrics import psnr
from watermark.core.strength import Visibility, choose_strength


def visible(psnr_at_one: float):
    """A photo whose PSNR falls 20·log10(strength) from `psnr_at_one`, SSIM always fine."""
    return lambda strength: Visibility(psnr_at_one - 20 * np.log10(strength), 0.99)


def reading(after_probe: dict[float, float] | float, after_spare: dict[float, float] | float):
    """What a photo marked at each strength reads after `STRENGTH.probe` and after
    `STRENGTH.spare_probe` (a table by strength, or the same at every strength)."""

    def reads(strength: float, attack: str) -> float:
        table = {STRENGTH.probe: after_probe, STRENGTH.spare_probe: after_spare}[attack]
        return table[strength] if isinstance(table, dict) else table

    return reads


def test_a_photo_with_margin_keeps_the_default():
    assert choose_strength(STRENGTH, visible(42), reading(1.0, 1.0)) == STRENGTH.start


def test_the_least_strength_that_reads_is_chosen():
    margin = {1.0: 0.9, 1.25: 0.99, 1.6: 0.9995, 2.0: 1.0}
    assert choose_strength(STRENGTH, visible(44), reading(margin, 0.5)) == 1.6


def test_no_strength_past_the_budget():
    # 40.5 dB at 1: 1.25 gives 38.6 dB (within 38), 1.6 gives 36.4 dB (past it)
    assert choose_strength(STRENGTH, visible(40.5), reading(0.8, 0.5)) == 1.25


def ssim_always_past_the_budget(strength: float) -> Visibility:
    return Visibility(42.0, STRENGTH.min_ssim - 0.01)


def test_a_photo_too_visible_at_the_default_gets_less():
    assert choose_strength(STRENGTH, visible(36.5), reading(1.0, 1.0)) == 0.8  # 38.4 dB
    least = min(STRENGTH.candidates)
    assert choose_strength(STRENGTH, ssim_always_past_the_budget, reading(1.0, 1.0)) == least
    spare = {0.6: 0.98, 0.8: 0.995, 1.0: 1.0}
    assert choose_strength(STRENGTH, ssim_always_past_the_budget, reading(1.0, spare)) == 0.8


def test_lowering_keeps_the_margin_a_harsher_attack_needs():
    """Reading every bit after the probe is not margin to spare: what reads the harsher
    `spare_probe` short of `spare_bits` when lowered keeps the default."""
    spare = {0.6: 0.9, 0.8: 0.98, 1.0: 0.995}
    chosen = choose_strength(STRENGTH, ssim_always_past_the_budget, reading(1.0, spare))
    assert chosen == STRENGTH.start


def test_a_photo_too_visible_that_needs_its_margin_keeps_the_default():
    spare = {0.6: 0.9, 0.8: 0.97, 1.0: 0.99}
    assert choose_strength(STRENGTH, visible(36.5), reading(0.9, spare)) == STRENGTH.start


@pytest.mark.networks
def test_auto_strength_is_reported_and_within_the_budget(watermarker):
    image = photo(320, 480, seed=21)
    plane = np.random.default_rng(3).integers(0, 2, (32, 32))
    marked = watermarker.mark(image, plane, AUTO)
    assert marked.strength in STRENGTH.candidates
    fixed = watermarker.mark(image, plane, marked.strength).pixels
    assert np.array_equal(marked.pixels, fixed)  # auto only chooses the number
    if marked.strength != STRENGTH.start:
        assert psnr(image, marked.pixels) >= STRENGTH.min_psnr - 0.5


@pytest.mark.networks
def test_the_probe_attacks_the_photo_at_its_own_size(watermarker, monkeypatch):
    """A copy is JPEG-compressed at its own size, where a large photo's cells are larger than
    the working image's: the probes are too, up to `probe_long_side`."""
    seen = []
    apply = attacks.apply

    def recording(image, spec):
        seen.append(image.shape[:2])
        return apply(image, spec)

    monkeypatch.setattr(attacks, "apply", recording)
    for height, width in ((1200, 1920), (1500, 4096)):
        watermarker.mark(photo(height, width, seed=4), np.ones((32, 32), np.uint8), AUTO)
        cap = STRENGTH.probe_long_side / max(height, width)
        assert set(seen) == {(round(height * min(1, cap)), round(width * min(1, cap)))}
        seen.clear()


@pytest.mark.networks
def test_the_default_strength_is_fitted_to_the_photo():
    """Not told a strength, `mark` fits it: a photo with margin to spare, past a budget made
    strict here, gets less than the networks' calibrated strength."""
    strict = Watermarker(strength_config=replace(STRENGTH, min_ssim=0.9999))
    image = photo(1200, 1600, seed=2)
    plane = np.random.default_rng(3).integers(0, 2, (32, 32))
    chosen = strict.mark(image, plane).strength
    assert chosen < STRENGTH.start
    assert chosen == strict.mark(image, plane, AUTO).strength
