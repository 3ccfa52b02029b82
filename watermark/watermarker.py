"""The Python API: embed a mark in a photo, extract it back.

Pixels in, pixels out: images are numpy arrays (H×W×3 RGB or H×W grey, uint8 or uint16); file
formats, alpha and metadata are `app.io`'s business. This is where the core's array functions
meet the networks (`nets`), with the configs passed down. The residual is computed on luma at
the working resolution (see `tiling`), upsampled to full size and added in float to every
colour channel alike: R, G and B move together, so luma changes and chroma does not (no colour
shift), and there is a single rounding to the output's integer type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain
from pathlib import Path

import cv2
import numpy as np

from .config import (
    AUTO,
    DEFAULTS,
    EMBED,
    STRENGTH,
    SYNC,
    EmbedConfig,
    ModelConfig,
    StrengthConfig,
    SyncConfig,
    load_model_config,
)
from .core import attacks
from .core.keys import whitening
from .core.lattice import Lattice
from .core.layout import Layout, layout
from .core.luma import luma as to_luma
from .core.marks import mark_plane
from .core.masking import budget_gain, texture_gain
from .core.metrics import bit_accuracy, psnr, ssim
from .core.perspective import Perspective
from .core.reading import central, find_picture, in_frame, picture_score, read_in_place
from .core.rows import row_chunks
from .core.search import UPRIGHT, Orientation, Search
from .core.strength import Visibility, choose_strength
from .core.tiling import (
    analysis_shape,
    centre_cell,
    keyed_bits,
    plane_map,
    resize,
    working_shape,
)
from .core.verify import Verdict, copied, decide, informative, matching_bits
from .nets.runtime import assets_dir, load_network


class ImageTooSmall(ValueError):
    """The image is smaller than the model's minimum on a side."""


@dataclass(frozen=True)
class Marked:
    pixels: np.ndarray  # the marked image, same shape and dtype as the original
    strength: float  # the strength used (the one chosen, for `AUTO`)


@dataclass(frozen=True)
class Extraction:
    """What the extractor read: the soft plane (1 = dark mark pixel) and how sure it is.

    `confidence` is the mean of |2p − 1| over bits: 0 for a plane of coin flips at 0.5, 1 when
    every bit is read as a clean 0 or 1. `whitened` is the soft plane as read, before the key
    is undone, with the plane's first cell taken at the image's centre. `shift` is None when
    the mark was read there, or the cyclic shift (rows, cols) under which it was found instead,
    by the keyed cells or by its shape (a crop off the centre, see `Watermarker.read`).
    `lattice` is the grid `core.reading.locate` found and undid, if any, or `perspective` the
    warp it undid; `orientation`, how the copy was found turned or mirrored (see
    `core.search`).
    """

    plane: np.ndarray
    confidence: float
    whitened: np.ndarray
    shift: tuple[int, int] | None = None
    lattice: Lattice | None = None
    orientation: Orientation = UPRIGHT
    perspective: Perspective | None = None

    @property
    def bits(self) -> np.ndarray:
        return (self.plane > 0.5).astype(np.uint8)


class Watermarker:
    """Loads the networks once; `embed` and `extract` may then be called on many images."""

    def __init__(
        self,
        weights: Path | None = None,
        backend: str = "auto",
        threads: int | None = None,
        embed_config: EmbedConfig = EMBED,
        sync_config: SyncConfig = SYNC,
        strength_config: StrengthConfig = STRENGTH,
    ):
        """`weights`: a folder with the networks and their `model.json` (default: shipped).
        `threads`: CPU threads per network (LiteRT); default all cores."""
        self.config: ModelConfig = load_model_config(weights or assets_dir())
        self.embed_config, self.sync_config = embed_config, sync_config
        self.strength_config = strength_config
        self.weights, self.backend, self.threads = weights, backend, threads
        self._embedder = self._extractor = None

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = load_network("embedder", self.weights, self.backend, self.threads)
        return self._embedder

    @property
    def extractor(self):
        if self._extractor is None:
            self._extractor = load_network("extractor", self.weights, self.backend, self.threads)
        return self._extractor

    def mark_plane(self, mark: np.ndarray) -> np.ndarray:
        """The 32×32 binary plane (uint8, 1 = dark) that `mark`, a picture, becomes."""
        return mark_plane(mark, self.config.plane_size)

    def embed(
        self,
        image: np.ndarray,
        mark: np.ndarray,
        strength: float | str = DEFAULTS.strength,
        key: str | None = None,
    ) -> np.ndarray:
        """`image` with `mark` (a picture: logo, monogram) hidden in it; same shape and dtype."""
        return self.embed_plane(image, self.mark_plane(mark), strength, key)

    def embed_plane(
        self,
        image: np.ndarray,
        plane: np.ndarray,
        strength: float | str = DEFAULTS.strength,
        key: str | None = None,
    ) -> np.ndarray:
        """`image` with a 32×32 binary `plane` (1 = dark) hidden in it; same shape and dtype."""
        return self.mark(image, plane, strength, key).pixels

    def mark(
        self,
        image: np.ndarray,
        plane: np.ndarray,
        strength: float | str = DEFAULTS.strength,
        key: str | None = None,
    ) -> Marked:
        """`embed_plane`, and the strength used: a number, or `AUTO` for the one that fits
        the photo (see `core.strength`).

        The plane is whitened with `key` (None: the public default, see `keys`) first, and
        tiled with the key's `layout`.
        """
        plane = np.asarray(plane)
        expected = (self.config.plane_size,) * 2
        if plane.shape != expected:
            raise ValueError(f"the plane must be {expected}, not {plane.shape}")
        luma, full_shape, scale = self._working_luma(image, self.config.min_side, working_shape)
        whitened = whitening(key, self.config.plane_size).apply(plane)
        keyed = layout(key, self.config)
        cells = keyed.bound(luma).apply(plane_map(whitened, luma.shape, self.config))
        within_budget = self._budgeted(luma, cells, full_shape)
        if strength == AUTO:
            strength = self._fitting_strength(
                image, full_shape, within_budget, luma, whitened, keyed
            )
        return Marked(self._added(image, within_budget(float(strength)), scale), float(strength))

    def embed_cells(
        self,
        image: np.ndarray,
        cells_for: Callable[[tuple[int, int]], np.ndarray],
        strength: float = STRENGTH.start,
    ) -> np.ndarray:
        """`image` with any cell map embedded, as `mark` embeds a plane's: `cells_for` gives
        the map (0/1, one per cell) for the working image's (height, width). What someone who
        has read another photo's cells can do (`core.adversary.copy_cells`)."""
        luma, full_shape, scale = self._working_luma(image, self.config.min_side, working_shape)
        within_budget = self._budgeted(luma, cells_for(luma.shape), full_shape)
        return self._added(image, within_budget(float(strength)), scale)

    def _budgeted(
        self, luma: np.ndarray, cells: np.ndarray, full_shape: tuple[int, int]
    ) -> Callable[[float], np.ndarray]:
        """The embedder's residual for `cells` on the working `luma`, perceptually shaped:
        as a function of strength, within the visibility budget."""
        residual = self.embedder(luma[None, ..., None], cells[None, ..., None])[0, ..., 0]
        residual = residual * texture_gain(luma, residual, self.embed_config)
        residual *= np.float32(self.config.residual_gain)  # at strength 1, luma in [0, 1]
        spot = round(self.embed_config.spot * luma.shape[0] / full_shape[0])

        def within_budget(strength: float) -> np.ndarray:
            """The working residual at `strength`, in luma [0, 1], within the budget."""
            scaled = residual * np.float32(strength)
            return scaled * budget_gain(scaled * np.float32(255), spot, self.embed_config)

        return within_budget

    def _added(self, image: np.ndarray, residual: np.ndarray, scale: float) -> np.ndarray:
        """`image` plus a working residual in luma [0, 1], resized to it, in the image's
        levels, capped."""
        full = resize(residual, image.shape[:2])
        limit = np.float32(self._change_limit(scale))
        np.multiply(full, np.float32(scale), out=full)
        np.clip(full, -limit, limit, out=full)  # in the image's own levels now
        return _add_residual(image, full)

    def _change_limit(self, peak: float) -> float:
        """The most a pixel may move, in levels of an image whose top level is `peak`."""
        return self.embed_config.max_change / 255.0 * peak

    def _fitting_strength(
        self,
        image: np.ndarray,
        full_shape: tuple[int, int],
        within_budget: Callable[[float], np.ndarray],
        luma: np.ndarray,
        whitened: np.ndarray,
        keyed: Layout,
    ) -> float:
        """The strength `core.strength` chooses. Visibility is measured on the central window
        of the photo's own pixels. What a strength reads is read from the whole working image
        (the grid is known there: no search) after a probe's attack on the photo at its own
        size (up to `StrengthConfig.probe_long_side`), as a copy is read: JPEG on the working
        image, whose cells are 4 px where a 1920-px photo's are 7.5, reads short of the margin
        that photo has."""
        window, top = self.sync_config.window, float(np.iinfo(image.dtype).max)
        grey = to_luma(central(image, window))
        probe_scale = min(1.0, self.strength_config.probe_long_side / max(full_shape))
        probe_shape = (round(full_shape[0] * probe_scale), round(full_shape[1] * probe_scale))
        photo = resize(to_luma(image), probe_shape).astype(np.float32) * np.float32(255 / top)

        def moved(original: np.ndarray, change: np.ndarray, peak: float) -> np.ndarray:
            """`original + change` as `mark` makes it: capped, rounded, clipped to the range."""
            limit = self._change_limit(peak)
            return np.clip(np.rint(original + np.clip(change, -limit, limit)), 0, peak)

        @lru_cache(maxsize=1)
        def full_size(strength: float) -> np.ndarray:
            """The residual at `strength` on the photo's pixels: each strength is probed for
            visibility and for what it reads, one after the other (one kept: a full-size
            float residual of a 50-megapixel photo is 200 MB)."""
            return resize(within_budget(strength), full_shape)

        def visibility(strength: float) -> Visibility:
            change = central(full_size(strength), window)
            marked = moved(grey.astype(np.float32), change * np.float32(top), top)
            marked = marked.astype(grey.dtype)
            return Visibility(psnr(grey, marked), ssim(grey, marked))

        def reads(strength: float, attack: str) -> float:
            if probe_shape == full_shape:
                change = full_size(strength) * np.float32(255)
            else:
                change = resize(within_budget(strength), probe_shape) * np.float32(255)
            marked = moved(photo, change, 255.0).astype(np.uint8)
            attacked = to_luma(attacks.apply(marked, attack))  # the grey photo: JPEG codes
            # its luma as a colour photo's, in half the time three equal channels take
            copy = resize(attacked.astype(np.float32), luma.shape) / np.float32(255)
            return bit_accuracy(whitened, read_in_place(copy, self.extractor, keyed))

        return choose_strength(self.strength_config, visibility, reads)

    def extract(self, image: np.ndarray, key: str | None = None) -> np.ndarray:
        """The soft 32×32 plane read from `image`: floats in [0, 1], 1 = dark mark pixel."""
        return self.read(image, key).plane

    def verify(
        self, image: np.ndarray, mark: np.ndarray, key: str | None = None, fpr: float = DEFAULTS.fpr
    ) -> Verdict:
        """Does `image` carry `mark` (under `key`)? See `verify` for the test and its null."""
        return self.verify_plane(image, self.mark_plane(mark), key, fpr)

    def verify_plane(
        self,
        image: np.ndarray,
        plane: np.ndarray,
        key: str | None = None,
        fpr: float = DEFAULTS.fpr,
    ) -> Verdict:
        """`verify` against a ready 32×32 binary plane (1 = dark), as `mark_plane` makes.

        Cheapest first, as `core.search` orders its readings; it stops as soon as the mark
        is present (the p-value pays for the whole plan all the same). Under a secret key
        only the keyed bits count (see `core.layout`): what an attacker without it can
        average out of marked photos does not make a mark present, and a reading that shows
        the mark as copied from another photo (`verify.copied`) is passed over. Under the
        public key anyone can make a mark anyway, so every bit counts.
        """
        expected = whitening(key, self.config.plane_size).apply(plane)
        search, sync = self._search(image, layout(key, self.config)), self.sync_config
        size = self.config.plane_size
        counted = keyed_bits(self.config) if key is not None else np.ones((size, size), bool)
        shifts = 1 if key is not None else size * size
        best: Verdict | None = None
        copy_seen = False
        for placement in chain(search.placed(), search.aligned(expected)):
            told = counted & informative(placement.plane)
            matching = matching_bits(expected, placement.plane, told)
            paid = search.paid(placement, shifts, sync.first_share)
            verdict = decide(matching, int(told.sum()), paid, fpr)
            if not verdict.present:
                if best is None or (verdict.p_value, -verdict.bit_accuracy) < (
                    best.p_value,
                    -best.bit_accuracy,
                ):
                    best = verdict
            elif key is not None and copied(expected, placement.flipped(), told, sync):
                copy_seen = True
            else:
                return verdict
        if best is None:  # every reading showed the mark, each as copied
            best = decide(0, int(counted.sum()), search.planned.total(shifts), fpr)
        return replace(best, copied=copy_seen)

    def read(self, image: np.ndarray, key: str | None = None) -> Extraction:
        """Read the plane, wherever a crop, resize, rotation, turn or mirror has put its grid
        (see `core.search`). Which orientation, and for a crop off the centre which shift, is
        told by the keyed cells, which agree as the key says only there (any mark, see
        `core.layout`), or by the mark's shape: the un-whitened plane is then a picture. The
        keyed cells count as read, not by their departures (`Layout.read_as_they_are`): no
        p-value is owed here."""
        undo = whitening(key, self.config.plane_size).undo
        keyed = layout(key, self.config).read_as_they_are()

        def shows(luma: np.ndarray, bit_map: np.ndarray) -> bool:
            return self._shows_in_place(luma, bit_map, keyed, undo)

        search = self._search(image, keyed, shows)
        whitened, orientation, shift = search.upright.plane, UPRIGHT, None
        reading = search.reading
        if not (reading.shown or shows(reading.image, reading.bit_map)):
            whitened, orientation, shift = self._find_placement(search, undo)
        plane = undo(whitened)
        confidence = float(np.mean(np.abs(2.0 * plane - 1.0)))
        return Extraction(
            plane, confidence, whitened, shift, reading.lattice, orientation, reading.perspective
        )

    def _shows_in_place(
        self,
        luma: np.ndarray,
        bit_map: np.ndarray,
        keyed: Layout,
        undo: Callable[[np.ndarray], np.ndarray],
    ) -> bool:
        """`_shows_mark` for the whole reading `bit_map` of `luma` (analysis resolution) on
        its own grid, the plane's first cell at the centre."""
        window = self.sync_config.window
        window_map = central(bit_map, window // self.config.cell)
        whitened = keyed.bound(luma).fold(bit_map)
        return self._shows_mark(whitened, window_map, keyed.bound(central(luma, window)), undo)

    def _shows_mark(
        self,
        whitened: np.ndarray,
        window_map: np.ndarray,
        keyed: Layout,
        undo: Callable[[np.ndarray], np.ndarray],
    ) -> bool:
        """Whether a reading shows the mark where it was read: its plane (`whitened`) is a
        picture, or the keyed cells of its central window agree as the key says there (a
        period's worth of places tried about the centre, against the fixed bar only: the
        decoys of a crop's search everywhere, `Layout.placed`, were not tried here)."""
        if picture_score(undo(whitened)) >= self.sync_config.picture_agreement:
            return True
        return keyed.centred(window_map, self.sync_config.keyed_clearness)

    def _find_placement(
        self, search: Search, undo: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, Orientation, tuple[int, int] | None]:
        """(soft whitened plane, orientation, shift) under which the plane is found: a turned
        or mirrored copy; else a crop off the centre, by the keyed cells or by the mark's
        shape; upright as read if none."""
        for orientation, window_map, keyed in search.turned():
            if self._shows_mark(keyed.fold(window_map), window_map, keyed, undo):
                upright = orientation.undo(search.reading.image)  # read whole now
                return read_in_place(upright, self.extractor, search.layout), orientation, None
        placed = self._placed_by_key(search)
        if placed is not None:
            return placed
        bit_map = search.phase_map
        shift = find_picture(
            in_frame(bit_map, self.config), undo, keyed_bits(self.config), self.sync_config
        )
        if shift is not None:
            planes = (placement.plane for placement in search.at_origins(shift))
            return max(planes, key=lambda plane: picture_score(undo(plane))), UPRIGHT, shift
        return search.upright.plane, UPRIGHT, None

    def _placed_by_key(
        self, search: Search
    ) -> tuple[np.ndarray, Orientation, tuple[int, int] | None] | None:
        """For a crop off the centre: the place of the plane's first cell, read at the grid's
        `phase`, under which the keyed cells agree as the key says (see `core.layout`); None
        unless clearly found."""
        bit_map = search.phase_map
        sync = self.sync_config
        keyed = search.phase_layout
        origin = keyed.placed(
            bit_map, sync.decoy_layouts, sync.keyed_clearness, sync.centre_clearness
        )
        if origin is None:
            return None
        plane = keyed.fold(bit_map, origin)
        if origin == centre_cell(bit_map.shape):
            return plane, UPRIGHT, None
        size = self.config.plane_size
        return plane, UPRIGHT, (-origin[0] % size, -origin[1] % size)

    def _search(
        self,
        image: np.ndarray,
        keyed: Layout,
        shows: Callable[[np.ndarray, np.ndarray], bool] | None = None,
    ) -> Search:
        luma, shape, _ = self._working_luma(image, self.config.min_read_side, analysis_shape)
        return Search(luma, shape, self.extractor, keyed, self.sync_config, shows)

    def _working_luma(
        self, image: np.ndarray, minimum: int, shape_for: Callable[..., tuple[int, int]]
    ) -> tuple[np.ndarray, tuple[int, int], float]:
        """(luma as float32 in [0, 1] at the size `shape_for` gives, full (height, width), full
        scale): `working_shape` to embed, `analysis_shape` to read.

        Resized while still integers: no full-size float copy of a 50-megapixel photo.
        """
        image = np.asarray(image)
        if image.dtype not in (np.uint8, np.uint16):
            raise TypeError(f"images must be uint8 or uint16, not {image.dtype}")
        grey = to_luma(image)
        if min(grey.shape) < minimum:
            height, width = grey.shape
            raise ImageTooSmall(
                f"{width}×{height} is too small: at least {minimum}×{minimum} needed"
            )
        scale = float(np.iinfo(image.dtype).max)
        luma = resize(grey, shape_for(*grey.shape, self.config)).astype(np.float32) / scale
        return luma, grey.shape, scale


def _add_residual(image: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """image + residual (same on every channel), rounded once, chunked by rows.

    The image is integer, so rounding image + residual equals image + the rounded residual
    (but for exact .5 ties, which round to even): the residual is rounded once per pixel, not
    per channel, and added with saturation, as its positive and negative parts.
    """
    out = np.empty_like(image)
    top = np.iinfo(image.dtype).max
    for rows in row_chunks(image.shape[0]):
        delta = np.rint(residual[rows])
        up = np.clip(delta, 0, top).astype(image.dtype)
        down = np.clip(-delta, 0, top).astype(image.dtype)
        if image.ndim == 3:
            up, down = cv2.merge([up] * image.shape[2]), cv2.merge([down] * image.shape[2])
        out[rows] = cv2.subtract(cv2.add(image[rows], up), down)
    return out
