import cv2
import numpy as np

from watermark.config import EMBED
from watermark.core.masking import budget_gain, texture_gain


def test_gain_moves_energy_into_texture_and_keeps_it():
    rng = np.random.default_rng(0)
    luma = np.full((128, 256), 0.5, np.float32)
    luma[:, 128:] += rng.uniform(-0.2, 0.2, (128, 128)).astype(np.float32)  # textured half
    residual = rng.normal(0, 0.01, (128, 256)).astype(np.float32)
    gain = texture_gain(luma, residual)
    assert gain.shape == luma.shape and gain.dtype == np.float32
    assert gain[:, 140:].mean() > 2 * gain[:, :116].mean()
    assert np.isclose(np.mean((gain * residual) ** 2), np.mean(residual**2), rtol=1e-4)


def test_gain_of_zero_residual_is_harmless():
    luma = np.random.default_rng(1).random((64, 64), dtype=np.float32)
    assert np.all(texture_gain(luma, np.zeros_like(luma)) == 1)


def test_an_edge_gets_less_than_texture_of_the_same_variance():
    rng = np.random.default_rng(2)
    luma = np.full((128, 256), 0.3, np.float32)
    luma[:, 64:128] = 0.7  # a straight edge at column 64 (and 128) on the left half
    texture = rng.choice([0.3, 0.7], size=(128, 128)).astype(np.float32)  # same two levels
    luma[:, 128:] = cv2.GaussianBlur(texture, (0, 0), 1.0)
    gain = texture_gain(luma, rng.normal(0, 0.01, luma.shape).astype(np.float32))
    edge, flat, busy = gain[:, 60:68].mean(), gain[:, 10:50].mean(), gain[:, 150:240].mean()
    assert edge <= 1.05 * flat and edge < 0.6 * busy  # an edge masks no more than a flat area


def test_budget_leaves_a_quiet_residual_alone():
    change = np.random.default_rng(3).normal(0, 2.0, (200, 300)).astype(np.float32)
    assert np.all(budget_gain(change, spot=32) == 1)


def test_budget_quiets_a_loud_spot_only():
    change = np.random.default_rng(4).normal(0, 2.0, (256, 256)).astype(np.float32)
    change[100:140, 100:140] *= 6  # one spot at 12 grey levels RMS (~26.5 dB there)
    gained = change * budget_gain(change, spot=32, config=EMBED)
    spot_rms = np.sqrt(cv2.blur(gained * gained, (32, 32)))
    assert spot_rms.max() <= EMBED.max_spot_rms * 1.1
    assert np.all(budget_gain(change, 32)[:40, :40] == 1)  # far from the spot


def test_budget_keeps_the_whole_photo_above_its_psnr():
    change = np.random.default_rng(5).normal(0, 4.5, (256, 256)).astype(np.float32)  # 35 dB
    gained = change * budget_gain(change, spot=32)
    psnr = 10 * np.log10(255**2 / np.mean(gained**2))
    assert abs(psnr - EMBED.min_psnr) < 0.05
