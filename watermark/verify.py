"""A decision on whether an image carries a given mark, with its false-alarm probability.

Null hypothesis: the image carries no mark under this key (it is unmarked, or was marked with
another key). Then the bits read from it, un-whitened with the key, agree with the mark's plane
like fair coin flips: the whitening (a keyed permutation and XOR mask, see `keys`) makes each
expected bit an independent fair coin with respect to anything such an image can contain. The
number of agreeing bits k of n is then Binomial(n, 1/2), and p = P[Binomial(n, 1/2) ≥ k] is the
probability that such an image scores at least as well. Present when p ≤ `fpr`.

Not covered: an image marked with *another mark under the same key*. The mask cancels out and
the count measures how alike the two marks are (two logos with large white areas can agree on
65% of bits, p ≈ 1e-21): use a different key per mark, or compare candidates' matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import comb

import numpy as np

DEFAULT_FPR = 1e-6


@dataclass(frozen=True)
class Verdict:
    bits: int
    matching: int
    bit_accuracy: float
    p_value: float
    present: bool

    def as_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        head = "mark present" if self.present else "no mark"
        return f"{head}: {self.matching}/{self.bits} bits match, p = {self.p_value:.3g}"


def binomial_tail(matching: int, bits: int) -> float:
    """P[Binomial(bits, 1/2) ≥ matching], exact (integer arithmetic, down to ~1e-308)."""
    tail = sum(comb(bits, i) for i in range(max(matching, 0), bits + 1))
    return tail / 2**bits


def decide(expected: np.ndarray, soft: np.ndarray, fpr: float = DEFAULT_FPR) -> Verdict:
    """Compare the expected binary plane with a soft reading (probabilities of 1)."""
    expected_bits = np.asarray(expected).ravel() > 0.5
    read_bits = np.asarray(soft).ravel() > 0.5
    bits = expected_bits.size
    matching = int(np.sum(expected_bits == read_bits))
    p_value = binomial_tail(matching, bits)
    return Verdict(bits, matching, matching / bits, p_value, p_value <= fpr)
