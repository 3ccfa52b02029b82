"""Strength that fits each photo: the least that leaves the photo a margin, within a budget.

Why: one residual gain leaves a smooth photo a wide margin and a textured or small one none
(read after JPEG 50, the first keeps every bit, the second loses one in seven). The embedder
can measure that margin itself, cheaply: strength only scales a residual already made, and
the plane is known, so a probe is one simulated attack and one extractor pass, with no search.
The default strength is tried first. A photo it makes more visible than the budget allows
(PSNR, SSIM) gets less, the most that fits; one it leaves short of margin gets more, the least
that reads enough, within the budget. A photo with margin to spare keeps the default rather
than trading it for invisibility, so nothing that read at the default reads worse unless it
was too visible.
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
    """A strength from `config.candidates`: below `start`, the greatest within the budget if
    `start` is not; from `start` up, the least whose `margin` (share of bits read after the
    probe) reaches `target_bits`, stopping before the budget is passed."""

    def within(strength: float) -> bool:
        seen = visibility(strength)
        return seen.psnr >= config.min_psnr and seen.ssim >= config.min_ssim

    lower = [s for s in config.candidates if s < config.start]
    higher = [s for s in config.candidates if s > config.start]
    if not within(config.start):
        return next((s for s in reversed(lower) if within(s)), min(lower, default=config.start))
    chosen = config.start
    for strength in [config.start, *higher]:
        if strength != config.start and not within(strength):
            break
        chosen = strength
        if margin(strength) >= config.target_bits:
            break
    return chosen
