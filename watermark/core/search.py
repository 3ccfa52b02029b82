"""Every reading the reader makes of one copy, and how many: the one place that decides what is
tried, so that `verify`'s p-value pays for exactly that.

A copy is read under hypotheses about what was done to it, likeliest first:
- its grid (`reading.locate`): the copy as it is, as if only resized, and rectified for each
  lattice found; each read in place, upright, the likeliest whole, the others on the central
  window `locate` read to rank them;
- its orientation: on the likeliest grid, the seven other ways a photo can be given quarter
  turns and a mirror (the grid's centre is a cell corner, so each maps the grid onto itself).
  The extractor reads a mirrored or turned copy as some other plane, nearly as consistent as
  the right one (its even and odd periods agree), so consistency cannot pick the orientation:
  each is a hypothesis of its own, read on the central window;
- for a crop off the centre, on the likeliest grid upright: the half-cell phases, each
  searched over every cyclic shift of the plane (`verify.shift_matches`).

`Tries` counts them. The count depends on the copy only (which lattices it shows), never on
the mark compared with it, so under the null hypothesis each reading's match count is still
Binomial given the plan, and a Bonferroni bound over the plan is a valid p-value, also when
`verify` stops at the first reading that shows the mark.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..config import ModelConfig, SyncConfig
from .reading import (
    Network,
    Reading,
    central,
    half_cell_phases,
    half_cell_readings,
    locate,
    read_at,
    read_in_place,
    window_plane,
)
from .tiling import fold


@dataclass(frozen=True)
class Orientation:
    """How a copy was turned: `turns` quarter turns counter-clockwise, after a left-right
    mirror if `mirrored`."""

    turns: int
    mirrored: bool

    @property
    def upright(self) -> bool:
        return self.turns % 4 == 0 and not self.mirrored

    def undo(self, image: np.ndarray) -> np.ndarray:
        """The copy (its first two axes) turned back upright."""
        upright = np.rot90(image, -self.turns)
        return np.ascontiguousarray(upright[:, ::-1] if self.mirrored else upright)

    def __str__(self) -> str:
        turned = f"turned {90 * self.turns}°" if self.turns else ""
        return (
            " and ".join(filter(None, ("mirrored" if self.mirrored else "", turned))) or "upright"
        )


UPRIGHT = Orientation(0, False)
# Likeliest first (verify stops at the first that shows the mark, extract at the first that
# reads as a picture): upright, then a mirror (a selfie, a flipped repost), then quarter turns.
ORIENTATIONS = (
    UPRIGHT,
    Orientation(0, True),
    Orientation(1, False),
    Orientation(3, False),
    Orientation(2, False),
    Orientation(1, True),
    Orientation(2, True),
    Orientation(3, True),
)


@dataclass(frozen=True)
class Tries:
    """Hypotheses read in place, and hypotheses each searched over every cyclic shift."""

    in_place: int
    shifted: int

    def total(self, bits: int) -> int:
        return self.in_place + self.shifted * bits


class Search:
    """The readings of one copy (luma at analysis resolution, from a copy of `shape`), made
    lazily, likeliest first; `planned` is what they may be, `tried` what has been read."""

    def __init__(
        self,
        luma: np.ndarray,
        shape: tuple[int, int],
        extractor: Network,
        model: ModelConfig,
        sync: SyncConfig,
    ):
        self.extractor, self.model, self.sync = extractor, model, sync
        self.reading: Reading = locate(luma, shape, extractor, model, sync)
        self.upright = fold(self.reading.bit_map, None, model)
        self.planned = Tries(
            in_place=1 + len(self.reading.others) + len(ORIENTATIONS) - 1,
            shifted=len(half_cell_phases(model)),
        )
        self.tried = Tries(1, 0)

    def placed(self) -> Iterator[np.ndarray]:
        """Soft whitened planes read in place: the likeliest grid upright (whole), the other
        grids upright, then the likeliest grid in every other orientation (central windows)."""
        yield self.upright
        for other in self.reading.others:
            self._count(in_place=1)
            yield window_plane(other, self.extractor, self.model, self.sync)
        for _, plane in self.turned():
            yield plane

    def turned(self) -> Iterator[tuple[Orientation, np.ndarray]]:
        """(orientation, soft whitened plane) on the likeliest grid's central window, for
        every orientation but upright."""
        window = central(self.reading.image, self.sync.window)
        for orientation in ORIENTATIONS[1:]:
            self._count(in_place=1)
            yield orientation, read_in_place(orientation.undo(window), self.extractor, self.model)

    def shifted(self, whole: bool = True) -> list[np.ndarray]:
        """Soft whitened planes at the likeliest grid's half-cell phases, the grid's own
        first: each to be searched over every cyclic shift. Read on the whole grid image, or
        (`whole=False`, a quarter of the cost at most) on its central window, which is enough
        to tell which phase holds a picture (see `phase`)."""
        if whole:
            others = half_cell_readings(self.reading.image, self.extractor, self.model)
            own = self.upright
        else:
            window = central(self.reading.image, self.sync.window)
            others = half_cell_readings(window, self.extractor, self.model)
            own = fold(
                central(self.reading.bit_map, self.sync.window // self.model.cell),
                (0, 0),
                self.model,
            )
        self._count(shifted=1 + len(others))
        return [own, *others]

    def phase(self, index: int) -> np.ndarray:
        """The likeliest grid's whole image read at half-cell phase `index` (of `shifted`)."""
        if index == 0:
            return self.upright
        phase = half_cell_phases(self.model)[index]
        return read_at(self.reading.image, phase, self.extractor, self.model)

    def _count(self, in_place: int = 0, shifted: int = 0) -> None:
        self.tried = Tries(self.tried.in_place + in_place, self.tried.shifted + shifted)
