"""The keyed cells: the part of the mark that does not repeat, so that no one without the key
can estimate it by averaging, and so copy it onto another photo or strip it.

Why: the plane is tiled with a public period (see `tiling`), and everything that repeats with
it can be estimated from one marked photo by averaging its fine detail over the periods (the
fold estimate, `adversary`), then added to another photo or subtracted. So a square block of
cells in each period, 144 of its 1024 (`tiling.keyed_cells`: where they are is public), is
flipped, or not, cell by cell, by a keyed canvas drawn for the cell's place from the plane's
first cell: a keyed cell differs from tile to tile, and averaging without the key estimates
nothing there. Nearly nothing: over the periods of one
photo a keyed bit's flips do not cancel exactly, so the average leans the way of the bit, and
a photo given that average (the same at every period) would lean that way too, read by the
same periods. So a keyed cell is read by how it departs from its mean over the periods: what
repeats in it does not count (`extract`, which owes no p-value, reads it as it is, turned
back: `Layout.read_as_they_are`). `verify` decides on the keyed cells alone; the others repeat
as before, and carry the lattice the reader synchronises on (`lattice`).
With the key, the reader also learns where a tile was: after a crop off the centre, the right
place is the one under which the keyed cells agree with the plane.

Why not every cell: the lattice is found in what repeats (`lattice`), and the embedder's
residual at a cell depends on its neighbours' bits, so keyed cells take the repetition out of
their neighbours too. Keyed cells scattered among the others (one in four, tried first) took
it out of nearly every cell, and a 16×16 block out of enough to lose the lattice of some
textured and web-size photos; a 12×12 block keeps it, and 144 bits to decide on. Why around
the period's corner: a mirror or a quarter turn about the centre maps it onto itself, so a
turned copy's keyed cells are where the reader expects them.

Bound to the photo: under a secret key, the keyed cells are also flipped by a keyed hash of
the photo's own coarse content (`binding`), so that a copy of the cells or of the whole
residual (the denoise estimate of the generic copy attack) onto another photo turns them over
at random there. A layout is bound to the image its map is read from (`Layout.bound`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..config import MODEL, ModelConfig
from .binding import binding_pattern, content_signs
from .keys import key_seed
from .tiling import centre_cell, fold, keyed_cells, tile

_CANVAS_STREAM = 1  # the key's generator stream for the canvas (the whitening takes the first)
_DECOY_SEED = 2  # of the decoy canvases (see `Layout.placed`): a key's seed is a 256-bit hash
# Periods (down, across) between the keyed cells `Layout.origin` compares: every pair it can.
_STEPS = ((1, 0), (0, 1), (1, 1), (2, 0), (0, 2))


@dataclass(frozen=True, eq=False)
class Layout:
    """A key's flips: one bit per cell of a canvas whose cell [0, 0] is the plane's first cell
    (indices wrap: the canvas is larger than any image is read at), and, once `bound` to an
    image, one per cell of that image's map by its content."""

    canvas: np.ndarray  # 0/1 uint8, keyed_canvas × keyed_canvas
    config: ModelConfig
    pattern: np.ndarray | None = None  # the key's content hash (`binding`); None: not bound
    content: np.ndarray | None = None  # signs of the cells of the image bound to (`binding`)
    departures: bool = True  # keyed cells read by their departures from their mean over the
    # periods (what `verify` decides on); False: read as they are (see `read_as_they_are`)

    def read_as_they_are(self) -> Layout:
        """This layout with its keyed cells read as they are, turned back, for a reader that
        owes no p-value (`extract`): departures are what a photo given an average of another
        reads nothing by, but they cost the mark too, its mean over few periods (a crop's) being
        partly its own, and nothing at all where those periods' flips all agree."""
        return replace(self, departures=False)

    def bound(self, image: np.ndarray) -> Layout:
        """This layout for the maps the extractor reads from `image` (luma; cells from its
        top-left): the keyed cells also flipped by its content hash. The public key's layout
        is not bound: anyone can make its mark anyway."""
        if self.pattern is None:
            return self
        return replace(self, content=content_signs(image, self.pattern, self.config))

    def flips(self, cells: tuple[int, int], origin: tuple[int, int] | None = None) -> np.ndarray:
        """Which cells of a map of `cells` (rows, cols) are flipped, `origin` being the cell
        that holds the plane's first bit (default: the centre cell, as `tiling` lays it): by
        the canvas, and by the content where the layout is bound."""
        drawn = self._drawn(cells, origin)
        return drawn ^ ((self._signs(cells) < 0) & keyed_cells(cells, origin, self.config))

    def _drawn(self, cells: tuple[int, int], origin: tuple[int, int] | None) -> np.ndarray:
        """The keyed cells the canvas flips."""
        row0, col0 = centre_cell(cells) if origin is None else origin
        side = self.canvas.shape[0]
        rows = (np.arange(cells[0]) - row0) % side
        cols = (np.arange(cells[1]) - col0) % side
        drawn = self.canvas[np.ix_(rows, cols)] == 1
        return drawn & keyed_cells(cells, (row0, col0), self.config)

    def _signs(self, cells: tuple[int, int]) -> np.ndarray | float:
        """The content's signs for a map of `cells` (1 everywhere when not bound)."""
        if self.content is None:
            return 1.0
        if self.content.shape != tuple(cells):
            raise ValueError(f"bound to a map of {self.content.shape} cells, not {cells}")
        return self.content

    def apply(self, cell_map: np.ndarray, origin: tuple[int, int] | None = None) -> np.ndarray:
        """`cell_map` (a tiled plane, or a soft bit map read from one) with its flipped cells
        turned over (v -> 1 - v): on a tiled plane, the cells to embed; on a reading, the plane
        tiled again. Its own inverse."""
        cell_map = np.asarray(cell_map, np.float32)
        return np.where(self.flips(cell_map.shape, origin), 1.0 - cell_map, cell_map)

    def fold(self, bit_map: np.ndarray, origin: tuple[int, int] | None = None) -> np.ndarray:
        """A soft bit map read with its plane's first bit at `origin` (default: the centre
        cell), folded to the plane (see `tiling.fold`): its keyed cells by their departures
        from their mean over the periods (as they are, unless `departures`), turned back, and
        drawn to 0.5 as far as the bound content's hash is not trusted (see `binding`)."""
        origin = centre_cell(bit_map.shape) if origin is None else origin
        keyed, read = self._drawn_back(bit_map, origin)
        trusted = np.float32(0.5) + (read - np.float32(0.5)) * self._signs(read.shape)
        return fold(np.where(keyed, trusted, read), origin, self.config)

    def fold_flipped(
        self, bit_map: np.ndarray, origin: tuple[int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(plane, cover): `fold` of the keyed cells the bound content flips alone, and for each
        bit of the plane the mean trust of that flip over its keyed cells (0 where the content
        flips none, and for the bits that are not keyed). A mark copied from another photo's
        flat area reads turned over there (see `binding`)."""
        origin = centre_cell(bit_map.shape) if origin is None else origin
        keyed, read = self._drawn_back(bit_map, origin)
        flips = np.minimum(np.broadcast_to(self._signs(read.shape), read.shape), 0.0)
        trusted = np.float32(0.5) + (read - np.float32(0.5)) * flips
        plane = fold(np.where(keyed & (flips < 0), trusted, np.nan), origin, self.config)
        return plane, fold(np.where(keyed, -flips, 0.0), origin, self.config)

    def _drawn_back(
        self, bit_map: np.ndarray, origin: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(keyed cells, the map with its keyed cells as departures from their mean over the
        periods where `departures`, the canvas's flips turned back; the content's not yet)."""
        keyed = keyed_cells(bit_map.shape, origin, self.config)
        read = bit_map
        if self.departures:
            repeated = fold(np.where(keyed, bit_map, np.nan), origin, self.config)
            departures = bit_map - tile(repeated, bit_map.shape, origin) + np.float32(0.5)
            read = np.where(keyed, np.clip(departures, 0.0, 1.0), bit_map)
        return keyed, np.where(self._drawn(read.shape, origin), 1.0 - read, read)

    def origin(
        self, bit_map: np.ndarray, around: tuple[int, int] | None = None
    ) -> tuple[tuple[int, int], float]:
        """Where the plane's first cell most likely is in a soft bit map, found without the
        mark, and how clearly (a robust z-score over the places tried): every place
        `tile_origins` allows, at every shift (a crop off the centre), or the period's worth
        of places `around` a cell (a grid read in place, first cell expected there).

        Of two cells whole periods apart, both keyed, the reading's product is the product of
        their flips (the plane's bit cancels out); only at the right place do those products
        follow the key's. All places are scored at once: the cross-correlation of the
        reading's products with the key's, summed over `_STEPS`.
        """
        period = self.config.plane_size
        if around is None:
            ranges = [_places(length, self.config) for length in bit_map.shape]
        else:
            ranges = [(centre - period // 2, centre + period // 2 - 1) for centre in around]
        signed = (2.0 * bit_map.astype(np.float32) - 1.0) * self._signs(bit_map.shape)
        score = np.zeros([high - low + 1 for low, high in ranges], np.float32)
        spans = [
            np.arange(-high, length - low)
            for length, (low, high) in zip(bit_map.shape, ranges, strict=True)
        ]
        for down, across in _STEPS:
            step = (down * period, across * period)
            if step[0] >= signed.shape[0] or step[1] >= signed.shape[1]:
                continue
            products = signed[: signed.shape[0] - step[0], : signed.shape[1] - step[1]]
            products = products * signed[step[0] :, step[1] :]
            score += _correlation(self._flip_products(spans, step), products, score.shape)
        spread = 1.4826 * np.median(np.abs(score - np.median(score))) + 1e-12
        best = np.unravel_index(np.argmax(score), score.shape)
        clearness = float((score[best] - np.median(score)) / spread)
        return (ranges[0][1] - int(best[0]), ranges[1][1] - int(best[1])), clearness

    def placed(
        self, bit_map: np.ndarray, decoys: int, floor: float, centre_floor: float
    ) -> tuple[int, int] | None:
        """Where the plane's first cell is in a soft bit map, if the keyed cells place it
        clearly: at least `floor` (see `origin`) and more clearly than each of `decoys`
        layouts of no key places it in the same map, else None. How clear a wrong place looks
        depends on the map (a small crop may be at tens of thousands of places, a textured
        photo reads noisily), so the bar is measured on the map itself: on a map without this
        key's mark its layout is one more decoy, and is placed at most one time in
        `decoys` + 1. A clear place costs `decoys` more searches.

        The centre cell stays the place wherever it is `centred` at `centre_floor`: a map read
        in place is the likeliest, and one place needs a lower bar than the best of thousands
        (a faint mark, not cropped, can show a wrong place off the centre above `floor`)."""
        origin, clearness = self.origin(bit_map)
        if clearness < floor:
            return None
        for decoy in decoy_layouts(decoys, self.config):
            if replace(decoy, content=self.content).origin(bit_map)[1] >= clearness:
                return None
        centre = centre_cell(bit_map.shape)
        if origin != centre and self.centred(bit_map, centre_floor):
            return centre
        return origin

    def centred(self, bit_map: np.ndarray, floor: float) -> bool:
        """Whether the keyed cells put the plane's first cell at the map's centre cell, of the
        period's worth of places about it (see `origin`), at least `floor` clearly."""
        centre = centre_cell(bit_map.shape)
        origin, clearness = self.origin(bit_map, around=centre)
        return origin == centre and clearness >= floor

    def _flip_products(self, spans: list[np.ndarray], step: tuple[int, int]) -> np.ndarray:
        """±1 products of the key's flips at each cell (rows, cols of the plane's own frame, in
        `spans`) and the cell `step` away, where both are keyed; 0 elsewhere."""
        side = self.canvas.shape[0]
        signs = 1.0 - 2.0 * self.canvas.astype(np.float32)
        here = signs[np.ix_(spans[0] % side, spans[1] % side)]
        there = signs[np.ix_((spans[0] + step[0]) % side, (spans[1] + step[1]) % side)]
        cells = (len(spans[0]), len(spans[1]))
        keyed = keyed_cells(cells, (-int(spans[0][0]), -int(spans[1][0])), self.config)
        return here * there * keyed


@lru_cache(maxsize=16)
def layout(key: str | None = None, config: ModelConfig = MODEL) -> Layout:
    """The layout a key stands for (None: the public key's, not bound to content)."""
    seed = key_seed(key)
    drawn = _drawn_layout([seed, _CANVAS_STREAM], config)
    return drawn if key is None else replace(drawn, pattern=binding_pattern(seed, config))


@lru_cache(maxsize=4)
def decoy_layouts(count: int, config: ModelConfig = MODEL) -> tuple[Layout, ...]:
    """`count` layouts of no key (see `Layout.placed`): fixed, so that a reading repeats, and
    from seeds no key's hash gives."""
    return tuple(_drawn_layout([_DECOY_SEED, index], config) for index in range(count))


def _drawn_layout(seed: list[int], config: ModelConfig) -> Layout:
    """The layout of a canvas of coin flips drawn from `seed`."""
    side = config.keyed_canvas
    canvas = np.random.default_rng(seed).integers(0, 2, (side, side), dtype=np.uint8)
    return Layout(canvas, config)


def _correlation(canvas: np.ndarray, pattern: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """score[j] = Σ_c pattern[c] · canvas[c + j] for j within `shape` (by FFT)."""
    size = [canvas.shape[0] + pattern.shape[0], canvas.shape[1] + pattern.shape[1]]
    product = np.fft.rfft2(canvas, size) * np.conj(np.fft.rfft2(pattern, size))
    return np.fft.irfft2(product, size)[: shape[0], : shape[1]].astype(np.float32)


def tile_origins(
    cells: tuple[int, int], shift: tuple[int, int], config: ModelConfig = MODEL
) -> list[tuple[int, int]]:
    """Where the plane's first cell may be in a map of `cells` read from a crop off the centre,
    its plane found under the cyclic `shift` (rows, cols; see `verify.shift_matches`): the
    cells congruent to −shift modulo the plane that put the map inside a working image of the
    largest size, a period to spare each way for rounding. How many depends on `cells` only."""
    period = config.plane_size
    axes = []
    for length, offset in zip(cells, shift, strict=True):
        low, high = _places(length, config)
        count = -(-(high - low + 1) // period)
        first = low + (-offset - low) % period
        axes.append([first + period * step for step in range(count)])
    return [(row, col) for row in axes[0] for col in axes[1]]


def _places(length: int, config: ModelConfig) -> tuple[int, int]:
    """First and last cell (of a map's rows or columns, `length` long) where the plane's first
    cell may be, the map being part of a working image of the largest size, a period to spare
    each way for rounding; at least a period's worth, about the map's centre cell, for a map
    larger than that (a grid enlarged by a wrong lattice)."""
    half = config.work_long_side // (2 * config.cell)
    period = config.plane_size
    low, high = length - half - period, half + period
    if high - low + 1 < period:
        low = length // 2 - period // 2
        high = low + period - 1
    return low, high
