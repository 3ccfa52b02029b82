"""The image formats wm reads and writes, and what each can keep: the one table of them.

A format is found by a file's suffix (for outputs, and to spot images in a folder) or by its
first bytes (an image with a wrong or no suffix). Adding a format is adding a row here, if
Pillow reads and writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Format:
    name: str  # Pillow's name for it
    label: str  # as people write it
    suffixes: tuple[str, ...]  # the first is the one written
    magic: re.Pattern[bytes]  # matches the file's first bytes
    aliases: tuple[str, ...] = ()  # other names Pillow gives such files, read as this one
    alpha: bool = True  # keeps an alpha channel
    metadata: bool = True  # keeps EXIF and the ICC profile
    sixteen_bit: bool = False  # keeps 16-bit grey
    quality: bool = False  # lossy: takes a quality setting
    dpi: bool = True  # keeps the resolution in dots per inch

    @property
    def suffix(self) -> str:
        return self.suffixes[0]


FORMATS = (
    Format("PNG", "PNG", (".png",), re.compile(rb"\x89PNG"), sixteen_bit=True),
    Format(
        "JPEG",
        "JPEG",
        (".jpg", ".jpeg"),
        re.compile(rb"\xff\xd8\xff"),
        aliases=("MPO",),  # a camera's JPEG with a second picture, read as its first
        alpha=False,
        quality=True,
    ),
    Format(
        "WEBP", "WebP", (".webp",), re.compile(rb"RIFF.{4}WEBP", re.DOTALL), quality=True, dpi=False
    ),
    Format("TIFF", "TIFF", (".tif", ".tiff"), re.compile(rb"II\*\x00|MM\x00\*"), sixteen_bit=True),
    # Pillow writes a 32-bit BMP's fourth byte, but as "unused": no reader takes it for alpha.
    Format("BMP", "BMP", (".bmp",), re.compile(rb"BM"), alpha=False, metadata=False),
    Format(
        "PPM",
        "PPM/PGM",
        (".ppm", ".pgm", ".pnm"),
        re.compile(rb"P[56]\s"),  # binary colour (P6) or grey (P5) Netpbm
        alpha=False,
        metadata=False,
        dpi=False,
    ),
)
MAGIC_BYTES = 12  # enough of a file's head for every `magic`
KEEP = "keep"  # a batch's outputs in each input's own format
OUTPUT_CHOICES = (KEEP, *(fmt.suffix.lstrip(".") for fmt in FORMATS))  # `wm batch --format`

_BY_NAME = {name: fmt for fmt in FORMATS for name in (fmt.name, *fmt.aliases)}
_BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}


def by_name(name: str) -> Format | None:
    """The format Pillow calls `name` (None: one wm does not read)."""
    return _BY_NAME.get(name)


def by_suffix(path: Path) -> Format | None:
    """The format `path`'s suffix names, whatever its case (None: no image suffix)."""
    return _BY_SUFFIX.get(Path(path).suffix.lower())


def by_content(head: bytes) -> Format | None:
    """The format whose magic bytes start `head` (a file's first `MAGIC_BYTES`)."""
    return next((fmt for fmt in FORMATS if fmt.magic.match(head)), None)


def suffixes() -> list[str]:
    return sorted(_BY_SUFFIX)


def labels() -> str:
    """The formats as people name them, in the table's order: 'PNG, JPEG, WebP, …'."""
    return ", ".join(fmt.label for fmt in FORMATS)
