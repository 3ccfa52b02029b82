"""Embedding and extraction on image files: `io` at the edges, `Watermarker` in the middle.

Every failure a user can cause (bad file, image too small, mark of one colour, output exists)
comes out as `io.ImageError` with the file's name in the message, for the CLI to print as one
line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..config import DEFAULTS
from ..core import attacks
from ..core.marks import MarkError
from ..core.metrics import psnr
from ..core.verify import Verdict
from ..watermarker import Extraction, ImageTooSmall, Watermarker
from . import formats
from .atomic import refuse_existing
from .errors import ImageError
from .io import Picture, load_photo, read_image, write_image


@dataclass(frozen=True)
class EmbedResult:
    output: Path
    psnr: float
    strength: float  # the one used: chosen per photo for "auto"
    notes: list[str]


@dataclass(frozen=True)
class ExtractResult:
    output: Path
    extraction: Extraction
    notes: list[str]


def default_embed_output(image: Path, fmt: formats.Format) -> Path:
    """photo.jpg -> photo.wm.jpg, next to the input."""
    suffix = image.suffix if formats.by_suffix(image) == fmt else fmt.suffix
    return image.with_name(f"{image.stem}.wm{suffix}")


def default_extract_output(image: Path) -> Path:
    """photo.wm.jpg -> photo.wm.mark.png, next to the input."""
    return image.with_name(f"{image.stem}.mark.png")


def read_mark(path: Path, watermarker: Watermarker) -> np.ndarray:
    """The plane of the mark picture at `path`."""
    try:
        return watermarker.mark_plane(read_image(path).rgba)
    except MarkError as error:
        raise ImageError(f"{path}: {error}") from None


def embed_file(
    image: Path,
    mark: Path,
    output: Path | None = None,
    strength: float | str = DEFAULTS.strength,
    quality: int = DEFAULTS.quality,
    force: bool = False,
    watermarker: Watermarker | None = None,
    key: str | None = None,
) -> EmbedResult:
    watermarker = watermarker or Watermarker()
    plane = read_mark(mark, watermarker)
    return embed_plane_file(image, plane, output, strength, quality, force, watermarker, key)


def embed_plane_file(
    image: Path,
    plane: np.ndarray,
    output: Path | None,
    strength: float | str,
    quality: int,
    force: bool,
    watermarker: Watermarker,
    key: str | None = None,
) -> EmbedResult:
    """Embed a ready plane (marks are read once per batch, not once per file)."""
    picture = read_image(image)
    output = output or default_embed_output(image, picture.format)
    _refuse_input_as_output(image, output)
    refuse_existing(output, force)  # before the work, not only when writing
    with _too_small_is_an_error(image):
        marked = watermarker.mark(picture.pixels, plane, strength, key)
    result = Picture(
        marked.pixels, picture.alpha, picture.format, picture.exif, picture.icc_profile, picture.dpi
    )
    notes = picture.notes + write_image(output, result, quality, force)
    return EmbedResult(output, psnr(picture.pixels, marked.pixels), marked.strength, notes)


def extract_file(
    image: Path,
    output: Path | None = None,
    size: int = DEFAULTS.view_size,
    force: bool = False,
    watermarker: Watermarker | None = None,
    key: str | None = None,
) -> ExtractResult:
    """Read the mark from `image` and write it as a black-on-white PNG of `size` px."""
    watermarker = watermarker or Watermarker()
    picture = read_image(image)
    output = output or default_extract_output(image)
    _refuse_input_as_output(image, output)
    extraction = _read(image, picture, watermarker, key)
    notes = write_image(output, Picture(plane_picture(extraction.bits, size)), force=force)
    return ExtractResult(output, extraction, notes)


def plane_picture(bits: np.ndarray, size: int) -> np.ndarray:
    """Bits (1 = dark) as a grey uint8 picture, enlarged with square pixels to `size`."""
    picture = np.where(bits > 0, 0, 255).astype(np.uint8)
    return cv2.resize(picture, (size, size), interpolation=cv2.INTER_NEAREST)


def attack_file(image: Path, spec: str, output: Path, force: bool = False) -> Path:
    """`image` after the attack `spec` (e.g. jpeg:50, see `core.attacks`), written to `output`."""
    _refuse_input_as_output(image, output)
    photo = load_photo(image)
    try:
        attacked = attacks.apply(photo, spec)
    except (ValueError, cv2.error) as error:  # unknown name, or a parameter the filter refuses
        raise ImageError(f"{spec}: {str(error).strip().splitlines()[-1]}") from None
    write_image(output, Picture(attacked), force=force)
    return output


def _refuse_input_as_output(image: Path, output: Path) -> None:
    if output.exists() and output.resolve() == image.resolve():
        raise ImageError(f"{output}: is the input; wm never modifies its input")


def verify_file(
    image: Path,
    mark: Path,
    key: str | None = None,
    fpr: float = DEFAULTS.fpr,
    watermarker: Watermarker | None = None,
) -> Verdict:
    watermarker = watermarker or Watermarker()
    return verify_plane_file(image, read_mark(mark, watermarker), key, fpr, watermarker)


def verify_plane_file(
    image: Path, plane: np.ndarray, key: str | None, fpr: float, watermarker: Watermarker
) -> Verdict:
    """Verify against a ready plane (marks are read once per batch, not once per file)."""
    pixels = read_image(image).pixels
    with _too_small_is_an_error(image):
        return watermarker.verify_plane(pixels, plane, key, fpr)


def _read(image: Path, picture: Picture, watermarker: Watermarker, key: str | None) -> Extraction:
    with _too_small_is_an_error(image):
        return watermarker.read(picture.pixels, key)


@contextmanager
def _too_small_is_an_error(image: Path) -> Iterator[None]:
    try:
        yield
    except ImageTooSmall as error:
        raise ImageError(f"{image}: {error}") from None
