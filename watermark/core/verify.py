"""A decision on whether an image carries a given mark, with its false-alarm probability.

Null hypothesis: the image carries no mark under this key: it is unmarked, or was marked with
another key, or (under a secret key) holds only what an attacker without the key could
average out of a marked photo, the cells that repeat (see `layout`). Then the bits counted,
the keyed ones under a secret key and all under the public one, un-whitened with the key,
agree with the mark's plane like fair coin flips: the key's flips and whitening (a keyed
permutation and XOR mask, see `keys`) make each expected bit an independent fair coin with
respect to anything such an image can contain. The number of agreeing bits k of n is then
Binomial(n, 1/2), and p = P[Binomial(n, 1/2) ≥ k] is the probability that such an image
scores at least as well. Present when p ≤ `fpr`. Bits a reading says nothing about are left
out of n (`informative`): a plane position no cell covered, or a keyed bit whose copies'
departures from their mean cancel (one copy, or copies all flipped alike, common in a small
crop). They would only add coin flips to k; which they are depends on the reading alone, so
the rest are still fair coins.

The image is read under many hypotheses (`search.Tries`: grids, orientations, places after a
crop off the centre); the reported p is a weighted Bonferroni bound over all of them
(`Search.paid`): the best reading's match-count tail times what that reading paid for, a fixed
share of the budget (`SyncConfig.first_share`) going to the likeliest, the copy read as it
is, as if only resized and on its likeliest grid, the rest shared by the other hypotheses.

Not covered: an image marked with *another mark under the same key*. The mask cancels out and
the count measures how alike the two marks are (two logos with large white areas can agree on
65% of bits, p ≈ 1e-21): use a different key per mark, or compare candidates' matches.
Nor a mark copied from another photo marked under this key (its cells, or its whole
residual): its keyed cells carry the other photo's content hash (`binding`), which agrees
with this one's by chance but not exactly as a fair coin does, so the bound is not proven
there; how often such a copy verifies is measured (`benchmarks/security.py`). Where both
photos are flat the hashes agree, except on the cells this photo's content flips: a copy
reads turned over there, so a reading that shows the mark but disagrees with it there far
more than chance allows (`copied`) is a copy, not the mark. That test only passes readings
over, so the false-alarm bound stands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from math import comb

import numpy as np

from ..config import DEFAULTS, SYNC, SyncConfig


@dataclass(frozen=True)
class Verdict:
    bits: int
    matching: int
    bit_accuracy: float
    p_value: float
    present: bool
    hypotheses: int  # what the reading's p-value paid for (`search.Search.paid`)
    copied: bool = False  # a reading showed the mark, but as a copy from another photo

    def as_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        head = "mark present" if self.present else "no mark"
        sentence = f"{head}: {self.matching}/{self.bits} bits match, p = {self.p_value:.3g}"
        if self.copied:
            sentence += " (a copy of the mark from another photo was found and passed over)"
        return sentence


# A soft bit this close to 0.5 is a cancelled sum (`informative`): float32 rounding, a few ulps
_CANCELLED = 1e-5


def informative(soft: np.ndarray) -> np.ndarray:
    """Which bits of a soft plane the reading says anything about (bool): all but those read
    as exactly 0.5 (no cell covered them, or their keyed departures cancelled, see
    `Layout.fold`)."""
    return np.abs(np.asarray(soft, np.float32) - np.float32(0.5)) > _CANCELLED


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


def matching_bits(expected: np.ndarray, soft: np.ndarray, counted: np.ndarray) -> int:
    """How many of the `counted` bits (bool, 32×32) of a soft reading agree with the binary
    `expected` plane."""
    agree = (np.asarray(expected) > 0.5) == (np.asarray(soft) > 0.5)
    return int(np.sum(agree & counted))


def decide(matching: int, bits: int, hypotheses: int, fpr: float = DEFAULTS.fpr) -> Verdict:
    """The verdict on the best match count of `bits` compared, over `hypotheses` readings."""
    p_value = min(1.0, hypotheses * binomial_tail(matching, bits))
    accuracy = matching / bits if bits else 0.5
    return Verdict(bits, matching, accuracy, p_value, p_value <= fpr, hypotheses)


def copied(
    expected: np.ndarray,
    flipped: tuple[np.ndarray, np.ndarray],
    counted: np.ndarray,
    config: SyncConfig = SYNC,
) -> bool:
    """Whether a reading that shows the binary `expected` plane shows it copied from another
    photo: on the `counted` bits the content of the photo read flips (`flipped`: plane and
    cover, see `Layout.fold_flipped`; bits covered by at least `copy_cover`), it disagrees
    with `expected` more often than `copy_tail` of fair coins would. The photo the mark was
    made in agrees there as elsewhere, only more noisily; a copy from a flat area is turned
    over there."""
    plane, cover = flipped
    tested = counted & (cover >= config.copy_cover)
    bits = int(tested.sum())
    agreeing = matching_bits(expected, plane, tested)
    return bits > 0 and binomial_tail(bits - agreeing, bits) <= config.copy_tail


def shift_matches(expected: np.ndarray, read: np.ndarray) -> np.ndarray:
    """matches[a, b]: bits where `read` rolled by (a, b) agrees with `expected` (circular
    cross-correlation of ±1 planes, by FFT)."""
    signed_expected = 2.0 * expected - 1.0
    signed_read = 2.0 * read - 1.0
    spectrum = np.fft.fft2(signed_expected) * np.conj(np.fft.fft2(signed_read))
    correlation = np.real(np.fft.ifft2(spectrum))
    return np.rint((correlation + expected.size) / 2).astype(int)
