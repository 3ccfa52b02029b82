"""Every reading the reader makes of one copy, and how many: the one place that decides what is
tried, so that `verify`'s p-value pays for exactly that.

A copy is read under hypotheses about what was done to it, likeliest first:
- its grid (`reading.locate`): the copy as it is, as if only resized (the grids a copy
  smaller than the working size has if so, `lattice.resized_lattices`), rectified for each
  lattice found, and, where nothing else reads consistently, for the most consistent of the
  periods a small copy repeats too few times to show and with the perspective undone that
  `perspective` finds; each read in place, upright: the copy as it is, as if only resized
  and the likeliest whole (the first two before any grid is searched for), the others on
  the central window `locate` read to rank them;
- its orientation: on the likeliest grid, the seven other ways a photo can be given quarter
  turns and a mirror (the grid's centre is a cell corner, so each maps the grid onto itself).
  The extractor reads a mirrored or turned copy as some other plane, nearly as consistent as
  the right one (its even and odd periods agree), so consistency cannot pick the orientation:
  each is a hypothesis of its own, read on the central window;
- for a crop off the centre, on the likeliest grid upright: the whole-pixel phase within a
  cell at which its central window's periods agree most (`reading.agreement`: chosen without
  the mark or the key, so one hypothesis), then the cyclic shift under which the plane is
  best found (by the keyed cells, the mark's shape, or the mark `verify` is given), then
  every place the plane's first cell may be at that shift (`layout.tile_origins`): only
  there do the keyed cells turn back.

`Tries` counts them. The count depends on the copy only (which lattices it shows, its size),
never on the mark compared with it, so a Bonferroni bound over the plan is a valid p-value,
also when `verify` stops at the first reading that shows the mark. The bound is weighted
(`Search.paid`): the copy read as it is, as if only resized and on its likeliest grid, what
most copies are, are given a fixed share of the false-alarm budget, and the rest of the plan
shares the remainder; so the copy as it is, and as if only resized, is read and judged before
any grid is searched for. Under a secret key `verify` decides on the keyed cells alone
(`layout`): the cyclic shift is chosen without their flips, so each reading's match count on
them is still Binomial given the plan. Judged by every bit (the public key), each aligned
reading pays for every shift it was chosen from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..config import ModelConfig, SyncConfig
from .lattice import Lattice, resized_lattices, same_grid
from .layout import Layout, tile_origins
from .reading import (
    Grid,
    Network,
    Reading,
    agreement,
    bit_map_of,
    cell_phases,
    central,
    in_frame,
    locate,
    map_at,
    rectified_grids,
    window_reading,
)
from .verify import shift_matches


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


@dataclass(frozen=True, eq=False)
class Placement:
    """One reading of the plane: a soft bit map, the layout bound to the image it was read
    from, and the cell that holds the plane's first bit (None: the centre cell)."""

    bit_map: np.ndarray
    layout: Layout
    origin: tuple[int, int] | None = None

    @cached_property
    def plane(self) -> np.ndarray:
        """The soft whitened plane (`Layout.fold`)."""
        return self.layout.fold(self.bit_map, self.origin)

    def flipped(self) -> tuple[np.ndarray, np.ndarray]:
        """The plane of the keyed cells the content flips, and its cover (`Layout.fold_flipped`)."""
        return self.layout.fold_flipped(self.bit_map, self.origin)


@dataclass(frozen=True)
class Tries:
    """Hypotheses read in place, and places tried for the plane after a crop off the centre."""

    in_place: int
    aligned: int

    def total(self, shifts: int = 1) -> int:
        """Hypotheses paid for. `shifts`: how many cyclic shifts each aligned reading stands
        for: 1 when it is judged by bits that did not choose its shift (the keyed ones, see
        `Search.aligned`), all of them when by every bit."""
        return self.in_place + self.aligned * shifts


class Search:
    """The readings of one copy (luma at analysis resolution, from a copy of `shape`), made
    lazily, likeliest first, with the key's `layout`; `planned` is what they may be, `tried`
    what has been read. `shows`: see `reading.locate` (not for `verify`, whose plan must not
    depend on the mark)."""

    def __init__(
        self,
        luma: np.ndarray,
        shape: tuple[int, int],
        extractor: Network,
        layout: Layout,
        sync: SyncConfig,
        shows: Callable[[np.ndarray, np.ndarray], bool] | None = None,
    ):
        self.luma, self.shape, self.shows = luma, shape, shows
        self.extractor, self.layout, self.sync = extractor, layout, sync
        self.model: ModelConfig = layout.config
        self.as_is = Placement(bit_map_of(luma, extractor, self.model), layout.bound(luma))
        self.tried = Tries(1, 0)

    @cached_property
    def reading(self) -> Reading:
        """The copy on its likeliest grid (`reading.locate`), and the other grids considered.
        Located when first asked for: a copy that shows the mark as it is needs none."""
        turns = [orientation.undo for orientation in ORIENTATIONS[1:]]
        return locate(
            self.luma,
            self.shape,
            self.extractor,
            self.model,
            self.sync,
            turns,
            self.shows,
            native=self.as_is.bit_map,
        )

    @cached_property
    def implied_grids(self) -> list[Grid]:
        """The copy rectified for each grid its size implies if it is only resized
        (`resized_lattices`) and that moves its own grid, unread: known without reading it."""
        lattices = resized_lattices(self.shape, self.luma.shape, self.model)
        return rectified_grids(self.luma, lattices, self.model, self.sync)

    @cached_property
    def implied(self) -> tuple[Placement, ...]:
        """`implied_grids`, each read whole: a small photo is marked enlarged, so a copy of
        it only resized (what most copies are) is read there, not as it is. Read when first
        asked for, before `locate`."""
        return tuple(
            Placement(
                bit_map_of(grid.image, self.extractor, self.model), self.layout.bound(grid.image)
            )
            for grid in self.implied_grids
        )

    @cached_property
    def upright(self) -> Placement:
        """The likeliest grid read whole, upright: `as_is` if that is the grid."""
        if self.reading.image is self.luma:
            return self.as_is
        return Placement(self.reading.bit_map, self.layout.bound(self.reading.image))

    def _implied(self, lattice: Lattice | None) -> bool:
        """Whether `lattice` is the grid of one of `implied_grids`: read whole already."""
        return lattice is not None and any(
            same_grid(lattice, grid.lattice, self.luma.shape, self.model)
            for grid in self.implied_grids
        )

    @cached_property
    def planned(self) -> Tries:
        """What the readings may be: every grid `locate` considered and every orientation in
        place, and every place the plane's first cell may be at after a crop off the centre."""
        height, width = self.reading.image.shape
        cell = self.model.cell
        places = max(  # whichever phase `phase` chooses
            len(tile_origins(((height - row) // cell, (width - col) // cell), (0, 0), self.model))
            for row, col in cell_phases(self.model)
        )
        grids = 1 + len(self.implied_grids) + self._upright_is_new + len(self._other_grids())
        return Tries(in_place=grids + len(ORIENTATIONS) - 1, aligned=places)

    def paid(self, placement: Placement, shifts: int, first_share: float) -> int:
        """What one reading's p-value pays for (a weighted Bonferroni bound). The likeliest
        hypotheses, the copy read whole as it is (a copy only re-saved, resized or cropped
        about its centre: what most copies are), as if only resized (`implied`) and on its
        likeliest grid (most often one of those), are given `first_share` of the false-alarm
        budget, in equal parts; each other hypothesis of the plan an equal part of the rest.
        The weights are fixed by the copy and sum to at most 1, so the bound holds over the
        whole plan; and the first readings pay without the plan, so a copy that shows the
        mark as it is, or as if only resized, is found unsearched. `shifts`: see
        `Tries.total`."""
        if placement is self.as_is or placement in self.implied or placement is self.upright:
            return math.ceil((2 + len(self.implied_grids)) / first_share)
        return math.ceil((self.planned.total(shifts) - 1) / (1 - first_share))

    def placed(self) -> Iterator[Placement]:
        """Readings in place: the copy as it is (whole), as if only resized (whole), the
        likeliest grid upright (whole) if another, the other grids upright, then the likeliest
        grid in every other orientation (central windows)."""
        yield self.as_is
        for placement in self.implied:
            self._count(in_place=1)
            yield placement
        if self._upright_is_new:
            self._count(in_place=1)
            yield self.upright
        for other in self._other_grids():
            self._count(in_place=1)
            window, window_map = window_reading(other, self.extractor, self.model, self.sync)
            yield Placement(window_map, self.layout.bound(window))
        for _, window_map, keyed in self.turned():
            yield Placement(window_map, keyed)

    @property
    def _upright_is_new(self) -> bool:
        """Whether the likeliest grid is neither the copy as it is nor one of `implied`."""
        return self.upright is not self.as_is and not self._implied(self.reading.lattice)

    def _other_grids(self) -> list[Grid]:
        """The grids `locate` considered besides the likeliest, but those read whole first:
        the copy as it is and as if only resized."""
        return [
            grid
            for grid in self.reading.others
            if grid.image is not self.luma and not self._implied(grid.lattice)
        ]

    def turned(self) -> Iterator[tuple[Orientation, np.ndarray, Layout]]:
        """(orientation, soft bit map, the layout bound to it) of the likeliest grid's
        central window turned back, for every orientation but upright (as `locate` read
        them, if it did)."""
        window = central(self.reading.image, self.sync.window)
        for index, orientation in enumerate(ORIENTATIONS[1:]):
            self._count(in_place=1)
            undone = orientation.undo(window)
            if self.reading.turned_maps:
                window_map = self.reading.turned_maps[index]
            else:
                window_map = map_at(undone, (0, 0), self.extractor, self.model)
            yield orientation, window_map, self.layout.bound(undone)

    def window_map(self) -> np.ndarray:
        """The soft bit map of the likeliest grid's central window, upright."""
        return central(self.reading.bit_map, self.sync.window // self.model.cell)

    @cached_property
    def phase(self) -> tuple[int, int]:
        """For a crop off the centre, which moves the grid by part of a cell: the phase (rows,
        cols; see `reading.cell_phases`) at which the periods of the likeliest grid's central
        window agree most. Read once."""
        window = central(self.reading.image, self.sync.window)
        phases = cell_phases(self.model)  # its own first: read already, as may be others
        known = self.reading.phase_maps  # the phases `locate` ranked the grid at
        window_maps = [self.window_map()] + [
            known[phase] if phase in known else map_at(window, phase, self.extractor, self.model)
            for phase in phases[1:]
        ]
        agreements = [agreement(window_map, self.model) for window_map in window_maps]
        return phases[int(np.argmax(agreements))]

    @cached_property
    def phase_layout(self) -> Layout:
        """The layout bound to `phase_map`."""
        return self.layout.bound(self.reading.image[self.phase[0] :, self.phase[1] :])

    @cached_property
    def phase_map(self) -> np.ndarray:
        """The likeliest grid's whole image read at `phase`. Read once."""
        if self.phase == (0, 0):
            return self.reading.bit_map
        return map_at(self.reading.image, self.phase, self.extractor, self.model)

    def at_origins(self, shift: tuple[int, int]) -> Iterator[Placement]:
        """`phase_map`, its cyclic `shift` found, read at every place its first cell may be
        (see `layout.tile_origins`)."""
        for origin in tile_origins(self.phase_map.shape, shift, self.model):
            self._count(aligned=1)
            yield Placement(self.phase_map, self.phase_layout, origin)

    def aligned(self, expected: np.ndarray) -> Iterator[Placement]:
        """For a crop off the centre: the readings `at_origins` of `phase_map` under the cyclic
        shift under which its plane best matches `expected` (a binary whitened plane), all its
        bits compared, the keyed ones as they came."""
        matches = shift_matches(expected > 0.5, in_frame(self.phase_map, self.model) > 0.5)
        shift = np.unravel_index(np.argmax(matches), matches.shape)
        yield from self.at_origins((int(shift[0]), int(shift[1])))

    def _count(self, in_place: int = 0, aligned: int = 0) -> None:
        self.tried = Tries(self.tried.in_place + in_place, self.tried.aligned + aligned)
