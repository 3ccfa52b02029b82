"""A decision on whether an image carries a given mark, with its false-alarm probability.

Null hypothesis: the image carries no mark under this key (it is unmarked, or was marked with
another key). Then the bits read from it, un-whitened with the key, agree with the mark's plane
like fair coin flips: the whitening (a keyed permutation and XOR mask, see `keys`) makes each
expected bit an independent fair coin with respect to anything such an image can contain. The
number of agreeing bits k of n is then Binomial(n, 1/2), and p = P[Binomial(n, 1/2) ≥ k] is the
probability that such an image scores at least as well. Present when p ≤ `fpr`.

Two kinds of count are tested (see `search` for what is tried and why the count is valid).
In place: the plane read where it should be under each of `Tries.in_place` hypotheses (grids
and orientations), as an uncropped, resized, rotated, turned, mirrored or centrally cropped
copy has it. Shifted: the best over all 1024 cyclic shifts of the plane, for each of
`Tries.shifted` readings (the half-cell phases of the likeliest grid: a crop off the centre
moves the plane by cells and part of a cell). The reported p is the Bonferroni bound over both
kinds and all those tries, 2·min(in_place·p_place, shifted·1024·p_shifted).

Not covered: an image marked with *another mark under the same key*. The mask cancels out and
the count measures how alike the two marks are (two logos with large white areas can agree on
65% of bits, p ≈ 1e-21): use a different key per mark, or compare candidates' matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from math import comb

import numpy as np

from ..config import DEFAULTS
from .search import Tries


@dataclass(frozen=True)
class Verdict:
    bits: int
    matching: int
    bit_accuracy: float
    p_value: float
    present: bool
    hypotheses: int  # what the p-value paid for: readings in place, and shifts searched

    def as_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        head = "mark present" if self.present else "no mark"
        return f"{head}: {self.matching}/{self.bits} bits match, p = {self.p_value:.3g}"


def binomial_tail(matching: int, bits: int) -> float:
    """P[Binomial(bits, 1/2) ≥ matching], exact (integer arithmetic, down to ~1e-308)."""
    return _tails(bits)[min(max(matching, 0), bits + 1)]


@lru_cache(maxsize=4)
def _tails(bits: int) -> tuple[float, ...]:
    """P[Binomial(bits, 1/2) ≥ k] for k = 0 … bits + 1, summed once from the top."""
    tails, total = [0.0], 0
    for k in range(bits, -1, -1):
        total += comb(bits, k)
        tails.append(total / 2**bits)
    return tuple(reversed(tails))


def decide(
    expected: np.ndarray,
    placed: Sequence[np.ndarray],
    tries: Tries,
    shifted: Sequence[np.ndarray] = (),
    fpr: float = DEFAULTS.fpr,
) -> Verdict:
    """Compare an expected binary plane with soft readings (probabilities of 1, 32×32 each):
    `placed`, read in place, the likeliest first; `shifted`, each searched over all cyclic
    shifts (before any is read, the likeliest in-place reading is searched: it is one of
    them). `tries` is what the p-value pays for: the search's plan for this copy."""
    expected_bits = np.asarray(expected) > 0.5
    bits = expected_bits.size
    in_place = max(_matches_at(expected_bits, soft) for soft in placed)
    searched = [
        shift_matches(expected_bits, np.asarray(soft) > 0.5) for soft in (shifted or placed[:1])
    ]
    best = max(int(matches.max()) for matches in searched)
    p_place = binomial_tail(in_place, bits) * tries.in_place
    p_shifted = binomial_tail(best, bits) * tries.shifted * bits
    matching = in_place if p_place <= p_shifted else best
    p_value = min(1.0, 2.0 * min(p_place, p_shifted))
    return Verdict(bits, matching, matching / bits, p_value, p_value <= fpr, tries.total(bits))


def _matches_at(expected: np.ndarray, soft: np.ndarray) -> int:
    return int(np.sum(expected == (np.asarray(soft) > 0.5)))


def shift_matches(expected: np.ndarray, read: np.ndarray) -> np.ndarray:
    """matches[a, b]: bits where `read` rolled by (a, b) agrees with `expected` (circular
    cross-correlation of ±1 planes, by FFT)."""
    signed_expected = 2.0 * expected - 1.0
    signed_read = 2.0 * read - 1.0
    spectrum = np.fft.fft2(signed_expected) * np.conj(np.fft.fft2(signed_read))
    correlation = np.real(np.fft.ifft2(spectrum))
    return np.rint((correlation + expected.size) / 2).astype(int)
