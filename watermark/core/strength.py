"""Strength that fits each photo: the least that leaves the photo a margin, within a budget.

Why: one residual gain leaves a smooth photo a wide margin and a textured or small one none
(read after JPEG 50, the first keeps every bit, the second loses one in seven). The embedder
can measure that margin itself, cheaply: strength only scales a residual already made, and
the plane is known, so a probe is one simulated attack and one extractor pass, with no search.
`start` (strength 1, what the networks were calibrated for) is tried first. A photo it makes
more visible than the budget allows (PSNR, SSIM) gets less, down to the most that fits, but
never to less than still reads enough after a harsher attack than the one margin is asked for
(`spare_probe`): margin past JPEG 50 is what harsher compression (JPEG 30, WebP) needs, and
lowered to JPEG 50's bar alone a smooth photo read worse after those than at `start`. A smooth
photo has margin to spare and gives it to invisibility; a small or textured one that needs its
margin keeps `start`. One that `start` leaves short of margin gets more, the least that reads
enough, within the budget. A photo within the budget at `start` keeps it rather than trading
margin for invisibility. What a lowered photo gives up is margin past `spare_bits` after
`spare_probe`: it may read a little less after such attacks than at `start`.
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
    reads: Callable[[float, str], float],
) -> float:
    """A strength from `config.candidates`, given what a photo marked at each reads (share of
    the plane's bits) after an attack (`core.attacks` spec). Where `start` is past the budget:
    the greatest below it within the budget, or else the least, but none that reads less than
    `spare_bits` after `spare_probe`. Else from `start` up: the least that reads `target_bits`
    after `probe`, stopping before the budget is passed."""

    def within(strength: float) -> bool:
        seen = visibility(strength)
        return seen.psnr >= config.min_psnr and seen.ssim >= config.min_ssim

    def enough(strength: float) -> bool:
        return reads(strength, config.probe) >= config.target_bits

    def spares(strength: float) -> bool:
        return reads(strength, config.spare_probe) >= config.spare_bits

    lower = [s for s in config.candidates if s < config.start]
    higher = [s for s in config.candidates if s > config.start]
    chosen = config.start
    if not within(config.start):
        for strength in reversed(lower):
            if not spares(strength):
                break
            chosen = strength
            if within(strength):
                break
        return chosen
    for strength in [config.start, *higher]:
        if strength != config.start and not within(strength):
            break
        chosen = strength
        if enough(strength):
            break
    return chosen
