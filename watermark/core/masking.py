"""Where the residual goes: a visibility model for the gain map (more where texture hides it,
less along edges and in flat areas), and a budget: caps on any pixel's change, on any spot's
and on the whole photo's.

The networks are trained with an image loss that already discounts texture, but the eye (and
SSIM) tell apart what a loss weight made the networks learn only roughly. Three things decide
how visible a change is, and the gain follows them:
- texture masking: a change hides in fine, busy texture (foliage, gravel, fabric), measured by
  the local variance of luma;
- edges do not mask: a strong edge has a high variance too, but a change along it shows as
  beads and blotches. The structure tensor tells an edge (one dominant orientation, coherence
  near 1) from texture (no dominant orientation, coherence near 0), and the variance is
  discounted by (1 − coherence)^`edge_exponent`;
- flat areas (sky, walls) mask least: √(variance + C²) keeps some gain there, so that a photo
  that is mostly flat still carries the mark.
The map is capped relative to its root mean square and renormalised so that the residual's
total energy, and so the PSNR, is unchanged: `strength` alone sets PSNR, the map only moves
the energy. Energy taken from edges goes to texture (where the extractor also reads it best)
and, in part, to flat areas, which costs SSIM.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import EMBED, EmbedConfig


def texture_gain(luma: np.ndarray, residual: np.ndarray, config: EmbedConfig = EMBED) -> np.ndarray:
    """Gain map (same shape as `luma`) with mean(gain² · residual²) = mean(residual²)."""
    window = (config.masking_window, config.masking_window)
    mean = cv2.blur(luma, window)
    variance = np.maximum(cv2.blur(luma * luma, window) - mean * mean, 0.0)
    texture = variance * (1.0 - edge_coherence(luma, window)) ** config.edge_exponent
    gain = np.sqrt(texture + config.masking_constant**2)
    gain = np.minimum(gain / np.sqrt(np.mean(gain**2)), config.masking_cap)
    energy = np.mean((gain * residual) ** 2)
    if energy == 0:
        return np.ones_like(luma)
    return (gain * np.sqrt(np.mean(residual**2) / energy)).astype(np.float32)


def edge_coherence(luma: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """((λ₁ − λ₂) / (λ₁ + λ₂))² of the local structure tensor: 1 on a straight edge or line,
    0 in isotropic texture or a flat area."""
    dx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    xx, yy, xy = cv2.blur(dx * dx, window), cv2.blur(dy * dy, window), cv2.blur(dx * dy, window)
    spread = np.sqrt((xx - yy) ** 2 + 4.0 * xy * xy)
    return (spread / (xx + yy + np.float32(1e-6))) ** 2


def budget_gain(change: np.ndarray, spot: int, config: EmbedConfig = EMBED) -> np.ndarray:
    """Gain (≤ 1, same shape as `change`, a residual in 8-bit grey levels) that keeps the
    change within the visibility budget; `spot` is `config.spot` photo px in `change`'s px.

    A close look sees a spot, not an average: where the residual's root mean square over a
    `spot`×`spot` window passes `max_spot_rms`, it is scaled down to it there: each pixel
    takes the least gain of the windows that hold it, so that no window, wherever it lies,
    passes the cap. Then, if the whole photo is still below `min_psnr`, all of it is. Energy
    removed is not moved elsewhere: the budget only lowers visibility.
    """
    side = max(1, spot)
    energy = cv2.blur(change * change, (side, side))
    window_gain = np.minimum(1.0, config.max_spot_rms / np.sqrt(np.maximum(energy, 1e-12)))
    gain = cv2.erode(window_gain, np.ones((side, side), np.uint8))
    mse = float(np.mean(np.square(gain * change)))
    allowed = 255.0**2 / 10.0 ** (config.min_psnr / 10.0)
    if mse > allowed:
        gain *= np.float32(np.sqrt(allowed / mse))
    return gain.astype(np.float32)
