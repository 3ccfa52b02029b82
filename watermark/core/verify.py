"""A decision on whether an image carries a given mark, with its false-alarm probability.

Null hypothesis: the image carries no mark under this key (it is unmarked, or was marked with
another key). Then the bits read from it, un-whitened with the key, agree with the mark's plane
like fair coin flips: the whitening (a keyed permutation and XOR mask, see `keys`) makes each
expected bit an independent fair coin with respect to anything such an image can contain. The
number of agreeing bits k of n is then Binomial(n, 1/2), and p = P[Binomial(n, 1/2) ≥ k] is the
probability that such an image scores at least as well. Present when p ≤ `fpr`.

Two kinds of count are tested. In place: the plane read where it should be on each grid the
reader may try (the copy as it is, as if only resized, and rectified for each lattice
`lattice.find_lattices` finds: `grids` of them, see `reading.search_size`), as an uncropped,
resized, rotated or centrally cropped copy has it. Shifted: the best over all 1024 cyclic
shifts of the plane and the `phases` half-cell phases it may be read at on the likeliest grid
(a crop off the centre moves it by cells and part of a cell). The reported p is the Bonferroni
bound over both kinds and all those tries, 2·min(grids·p_place, phases·1024·p_shifted): still
an upper bound on the false-alarm probability (also when fewer were read, since a bigger p is
only more careful).

Not covered: an image marked with *another mark under the same key*. The mask cancels out and
the count measures how alike the two marks are (two logos with large white areas can agree on
65% of bits, p ≈ 1e-21): use a different key per mark, or compare candidates' matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from math import comb

import numpy as np

from ..config import DEFAULTS


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


@dataclass(frozen=True)
class SearchSize:
    """How many readings the reader may make of one copy: `grids` in place, and on the
    likeliest grid `phases` half-cell phases × every cyclic shift (see `reading`)."""

    grids: int
    phases: int


def decide(
    expected: np.ndarray,
    placed: Sequence[np.ndarray],
    search: SearchSize,
    shifted: Sequence[np.ndarray] = (),
    fpr: float = DEFAULTS.fpr,
) -> Verdict:
    """Compare an expected binary plane with soft readings (probabilities of 1, 32×32 each):
    `placed`, read in place on each grid tried, the likeliest first; `shifted`, read on that
    grid at the other half-cell phases. The likeliest grid's reading and `shifted` are also
    searched over all cyclic shifts. `search` is what the p-value pays for."""
    expected_bits = np.asarray(expected) > 0.5
    bits = expected_bits.size
    in_place = max(_matches_at(expected_bits, soft) for soft in placed)
    searched = [
        shift_matches(expected_bits, np.asarray(soft) > 0.5) for soft in (placed[0], *shifted)
    ]
    best = max(int(matches.max()) for matches in searched)
    p_place = binomial_tail(in_place, bits) * search.grids
    p_shifted = binomial_tail(best, bits) * search.phases * bits
    matching = in_place if p_place <= p_shifted else best
    p_value = min(1.0, 2.0 * min(p_place, p_shifted))
    return Verdict(bits, matching, matching / bits, p_value, p_value <= fpr)


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
