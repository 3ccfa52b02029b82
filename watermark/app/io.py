"""Image files as people have them: reading, writing, metadata, and safe output.

Reading gives pixels the model can take (RGB or grey, uint8, or uint16 for 16-bit grey) plus
what must survive the round trip: alpha, EXIF, ICC profile, DPI. EXIF orientation is applied on
reading (the mark goes into the picture as people see it) and reset to 1 on writing.

Choices a user may notice, also in the README:
- 16-bit grey stays 16-bit in PNG and TIFF; 16-bit colour is read as 8-bit (Pillow's decoder),
  so it is written as 8-bit.
- Palette images are written as RGB(A): re-quantising to a palette would erase the mark.
- CMYK JPEGs are converted to RGB; their CMYK ICC profile is not carried over.
- BMP keeps no EXIF/ICC; JPEG keeps no alpha (a note says so when that drops something).

What each format keeps is in `formats`. Writing goes through `atomic`: a crash never leaves
a half-written output, and an existing file is only replaced when `force` is set.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import formats
from .atomic import save_atomically
from .errors import ImageError

MAX_PIXELS = 150_000_000
ORIENTATION_TAG = 0x0112
# A TIFF's getexif() also holds the file's own structure (size, strips, sample format...):
# carried into another file, those tags would describe the wrong pixels.
# fmt: off
TIFF_STRUCTURE_TAGS = {
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284,
    317, 320, 322, 323, 324, 325, 338, 339, 340, 341, 530, 531, 532,
}
# fmt: on

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass
class Picture:
    """Decoded pixels and what must be carried to the output."""

    pixels: np.ndarray  # H×W×3 RGB or H×W grey; uint8, or uint16 (grey only)
    alpha: np.ndarray | None = None
    format: formats.Format = formats.FORMATS[0]  # PNG: what a new picture is written as
    exif: bytes | None = None
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rgba(self) -> np.ndarray:
        """Pixels with alpha as a last channel where there is one (for marks)."""
        if self.alpha is None:
            return self.pixels
        colour = self.pixels if self.pixels.ndim == 3 else self.pixels[..., None]
        alpha = self.alpha.astype(colour.dtype)
        return np.concatenate([colour, alpha[..., None]], axis=2)


def read_image(path: Path | str) -> Picture:
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                picture = _decode(path, image)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except PermissionError:
        raise ImageError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image, or a format wm does not read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: too large (over {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path}: truncated or corrupt image ({error})") from None
    return picture


def _decode(path: Path, image: Image.Image) -> Picture:
    source_format = formats.by_name(image.format)
    if source_format is None:
        raise ImageError(f"{path}: {image.format} images are not supported ({formats.labels()})")
    if getattr(image, "n_frames", 1) > 1 and image.format not in source_format.aliases:
        raise ImageError(f"{path}: animated or multi-page images are not supported")
    if image.width * image.height > MAX_PIXELS:
        raise ImageError(f"{path}: too large (over {MAX_PIXELS:,} pixels)")
    image.load()
    exif, notes = _exif(image)
    icc = image.info.get("icc_profile")
    dpi = image.info.get("dpi")
    if image.mode == "CMYK":
        icc = None
        notes.append("CMYK converted to RGB (its ICC profile is not kept)")
    upright = ImageOps.exif_transpose(image)
    pixels, alpha = _pixels(path, upright)
    exif_bytes = None
    for tag in TIFF_STRUCTURE_TAGS & set(exif):
        del exif[tag]
    if exif:
        exif[ORIENTATION_TAG] = 1
        exif_bytes = exif.tobytes()
    return Picture(pixels, alpha, source_format, exif_bytes, icc, dpi, notes)


def _exif(image: Image.Image) -> tuple[Image.Exif, list[str]]:
    """The image's EXIF, and a note when the file has an EXIF block Pillow could not parse
    (it only warns, and gives an empty one)."""
    exif = image.getexif()
    if image.info.get("exif") and not exif:
        return exif, ["its EXIF block is corrupt: not carried over"]
    return exif, []


def _pixels(path: Path, image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image)
        if values.min() < 0 or values.max() > 65535:
            raise ImageError(f"{path}: 32-bit integer images are not supported")
        return values.astype(np.uint16), None
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode == "1":
        image = image.convert("L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        image = image.convert("RGB")
    elif mode not in ("RGB", "RGBA", "L", "LA"):
        raise ImageError(f"{path}: pixel mode {mode} is not supported")
    values = np.asarray(image)
    if image.mode == "LA":
        return values[..., 0].copy(), values[..., 1].copy()
    if image.mode == "RGBA":
        return values[..., :3].copy(), values[..., 3].copy()
    return values.copy(), None


def output_format(path: Path) -> formats.Format:
    fmt = formats.by_suffix(path)
    if fmt is None:
        known = ", ".join(formats.suffixes())
        raise ImageError(f"{path}: unknown output type {path.suffix!r} (use one of {known})")
    return fmt


def write_image(
    path: Path | str, picture: Picture, quality: int = 95, force: bool = False
) -> list[str]:
    """Write atomically in the format named by the suffix; returns notes on what was dropped."""
    path = Path(path)
    fmt = output_format(path)
    image, notes = _to_pil(picture, fmt)
    options: dict = {}
    if fmt.quality:
        options["quality"] = quality
    if fmt.metadata:
        if picture.exif:
            options["exif"] = picture.exif
        if picture.icc_profile:
            options["icc_profile"] = picture.icc_profile
    elif picture.exif or picture.icc_profile:
        notes.append(f"{fmt.name} keeps no EXIF or ICC profile: not carried over")
    if picture.dpi and fmt.dpi:
        options["dpi"] = picture.dpi
    save_atomically(path, lambda target: image.save(target, format=fmt.name, **options), force)
    return notes


def _to_pil(picture: Picture, fmt: formats.Format) -> tuple[Image.Image, list[str]]:
    pixels, alpha, notes = picture.pixels, picture.alpha, []
    if pixels.dtype == np.uint16 and not fmt.sixteen_bit:
        pixels = to_8bit(pixels)
        notes.append(f"{fmt.name} has no 16-bit mode: written as 8-bit")
    if alpha is not None and (not fmt.alpha or pixels.dtype == np.uint16):
        notes.append(f"alpha channel dropped: {fmt.name} output here has no alpha")
        alpha = None
    if pixels.dtype == np.uint16:
        return Image.fromarray(pixels), notes
    mode = "RGB" if pixels.ndim == 3 else "L"
    image = Image.fromarray(pixels, mode)
    if alpha is not None:
        image.putalpha(Image.fromarray(alpha, "L"))
    return image, notes


def to_8bit(pixels: np.ndarray) -> np.ndarray:
    """uint16 -> uint8, rounded (uint8 passes through)."""
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def load_photo(path: Path | str) -> np.ndarray:
    """A file as the H×W×3 RGB uint8 photo the attacks expect (grey and 16-bit converted)."""
    pixels = to_8bit(read_image(path).pixels)
    return np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels
