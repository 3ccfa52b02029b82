"""Marks (logos, monograms) and the 32×32 binary planes they become.

The rule, `mark_plane`: the mark is composited over white (alpha respected), turned to grey, fitted
into 32×32 keeping its aspect ratio (centred, padded with white), and thresholded with Otsu's
threshold computed on the full-size grey mark: dark pixels become 1, light pixels 0.

`random_marks` makes training marks: random bit planes, rendered glyphs and shapes, so that both
noise-like planes and logo-like planes are in the training distribution.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import MODEL
from .luma import luma


class MarkError(ValueError):
    """The mark cannot become a plane (e.g. it is all one colour)."""


def to_grey(image: np.ndarray) -> np.ndarray:
    """A 2-D, grey+alpha, RGB or RGBA array (uint8, uint16, bool, float) -> float32 in [0, 1]."""
    values = _unit_range(image)
    if values.ndim == 2:
        return values
    if values.ndim != 3 or values.shape[2] not in (1, 2, 3, 4):
        raise MarkError(f"a mark must be 2-D or have 1-4 channels, not shape {image.shape}")
    colour = values[..., :1] if values.shape[2] <= 2 else values[..., :3]
    grey = colour[..., 0] if colour.shape[2] == 1 else luma(colour)
    if values.shape[2] in (2, 4):
        alpha = values[..., -1]
        grey = grey * alpha + (1.0 - alpha)
    return grey.astype(np.float32)


def _unit_range(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.bool_:
        return image.astype(np.float32)
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float32) / np.iinfo(image.dtype).max
    return np.clip(image.astype(np.float32), 0.0, 1.0)


def mark_plane(mark: np.ndarray, size: int = MODEL.plane_size) -> np.ndarray:
    """The binary plane (size×size, uint8, 1 = dark) that a mark becomes; see the module doc."""
    grey = to_grey(mark)
    if grey.max() - grey.min() < 1.0 / 255.0:
        raise MarkError("the mark is all one colour: it needs dark and light parts")
    grey8 = np.round(grey * 255.0).astype(np.uint8)
    threshold, _ = cv2.threshold(grey8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    fitted = _fit_square(grey8, size)
    return (fitted <= threshold).astype(np.uint8)


def _fit_square(grey8: np.ndarray, size: int) -> np.ndarray:
    height, width = grey8.shape
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    resized = cv2.resize(grey8, (new_w, new_h), interpolation=interpolation)
    canvas = np.full((size, size), 255, np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas


def random_marks(count: int, rng: np.random.Generator, size: int = MODEL.plane_size) -> np.ndarray:
    """`count` training planes (count×size×size, float32): a third each noise, glyphs, shapes."""
    makers = (_random_bits, _random_glyphs, _random_shapes)
    planes = [makers[rng.integers(len(makers))](rng, size) for _ in range(count)]
    return np.stack(planes).astype(np.float32)


def _random_bits(rng: np.random.Generator, size: int) -> np.ndarray:
    block = int(rng.choice([1, 2, 4]))
    coarse = rng.random((size // block, size // block)) < rng.uniform(0.1, 0.9)
    return np.kron(coarse, np.ones((block, block))).astype(np.uint8)


_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)
_GLYPHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789©&@#"


def _random_glyphs(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = np.full((128, 128), 255, np.uint8)
    text = "".join(rng.choice(list(_GLYPHS), size=rng.integers(1, 4)))
    font = int(rng.choice(_FONTS))
    thickness = int(rng.integers(2, 9))
    (w, h), _ = cv2.getTextSize(text, font, 1.0, thickness)
    scale = 110 / max(w, h) * rng.uniform(0.6, 1.0)
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = (max(0, (128 - w) // 2), min(127, (128 + h) // 2))
    cv2.putText(canvas, text, origin, font, scale, 0, thickness, cv2.LINE_AA)
    return _finish(canvas, rng, size)


def _random_shapes(rng: np.random.Generator, size: int) -> np.ndarray:
    canvas = np.full((128, 128), 255, np.uint8)
    for _ in range(rng.integers(1, 5)):
        centre = tuple(int(v) for v in rng.integers(16, 112, 2))
        radius = int(rng.integers(8, 48))
        thickness = -1 if rng.random() < 0.5 else int(rng.integers(3, 12))
        kind = rng.integers(3)
        if kind == 0:
            cv2.circle(canvas, centre, radius, 0, thickness)
        elif kind == 1:
            corner = (centre[0] + radius, centre[1] + int(rng.integers(8, 48)))
            cv2.rectangle(canvas, centre, corner, 0, thickness)
        else:
            points = rng.integers(0, 128, (int(rng.integers(3, 7)), 2)).astype(np.int32)
            cv2.fillPoly(canvas, [points], 0) if thickness < 0 else cv2.polylines(
                canvas, [points], True, 0, thickness
            )
    return _finish(canvas, rng, size)


def _finish(canvas: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Through the user-facing rule, so training glyphs look like real marks; some inverted."""
    if canvas.min() == canvas.max():
        return _random_bits(rng, size)
    plane = mark_plane(canvas, size)
    return 1 - plane if rng.random() < 0.2 else plane
