"""Strength that fits each photo: the least that leaves the photo a margin, within a budget.

Why: one residual gain leaves a smooth photo a wide margin and a textured or small one none
(read after JPEG 50, the first keeps every bit, the second loses one in seven). The embedder
can measure that margin itself, cheaply: strength only scales a residual already made, and
the plane is known, so a probe is one simulated attack and one extractor pass, with no search.
Strengths are tried from the least up; the first whose probe reads enough is kept, and none
past the visibility budget (PSNR, SSIM) is taken. The least candidate is the default strength:
a photo with margin to spare keeps it rather than trading it for invisibility, so nothing
that read at the default reads worse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import StrengthConfig


@dataclass(frozen=True)
class Visibility:
    psnr: float
    ssim: float


def choose_strength(
    config: StrengthConfig,
    visibility: Callable[[float], Visibility],
    margin: Callable[[float], float],
) -> float:
    """The least of `config.candidates` whose `margin` (share of bits read after the probe)
    reaches `target_bits`; else the greatest within the budget. The least is taken whatever
    the budget: it is the default strength."""
    chosen = config.candidates[0]
    for strength in config.candidates:
        seen = visibility(strength)
        if strength != chosen and (seen.psnr < config.min_psnr or seen.ssim < config.min_ssim):
            break
        chosen = strength
        if margin(strength) >= config.target_bits:
            break
    return chosen
