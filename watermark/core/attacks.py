"""Attacks on photos: what happens to an image between the rights holder and a suspect copy.

Each attack is a pure function `(image, parameter) -> image` on H×W×3 uint8 RGB arrays,
registered under the name the CLI and benchmarks use; `apply(image, "jpeg:50")` runs one by its
spec, and `apply(image, "resize:0.8+jpeg:85")` runs several in turn (a repost: resized, then
saved). These are the real operations (Pillow's codecs, OpenCV's filters), for measuring. An
attack the networks are trained against names its `counterpart`: the function of that name in
`training.noise_layer`, a TensorFlow stand-in on luma batches that takes the same parameter in
the same units (tests/test_noise_layer.py checks that the two agree). Adding an attack is one
`register` here, and its counterpart there if training should see it.
Randomness (noise, random crops) is seeded, so a benchmark run is repeatable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import cv2
import numpy as np
from PIL import Image, ImageEnhance

AttackFunction = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class Attack:
    function: AttackFunction
    default: float | None  # the parameter when a spec names none
    counterpart: str | None  # its stand-in in `training.noise_layer`, if training simulates it


ATTACKS: dict[str, Attack] = {}

DEFAULT_SUITE = (
    "identity",
    "jpeg:90",
    "jpeg:75",
    "jpeg:50",
    "jpeg:30",
    "webp:75",
    "resize:0.75",
    "resize:0.5",
    "resize:0.3",
    "resize-back:0.5",
    "crop:0.75",
    "crop:0.5",
    "crop:0.25",
    "crop-random:0.5",
    "rotate:2",
    "rotate:5",
    "rotate:10",
    "turn:90",
    "mirror",
    "stretch:0.8",
    "perspective:0.06",
    "noise:5",
    "noise:10",
    "saltpepper:0.02",
    "blur:1",
    "blur:2",
    "median:3",
    "brightness:1.3",
    "brightness:0.7",
    "contrast:1.5",
    "saturation:1.5",
    "hue:0.1",
    "grayscale",
    "social",
    "chain",
    "repost",
)


def register(name: str, default: float | None = None, counterpart: str | None = None):
    def decorate(function: AttackFunction) -> AttackFunction:
        ATTACKS[name] = Attack(function, default, counterpart)
        return function

    return decorate


def parse(spec: str) -> tuple[str, float | None]:
    """'jpeg:50' -> ('jpeg', 50.0); 'grayscale' -> ('grayscale', None). Unknown names raise."""
    name, _, value = spec.partition(":")
    if name not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; known: {', '.join(sorted(ATTACKS))}")
    if not value:
        return name, ATTACKS[name].default
    try:
        return name, float(value)
    except ValueError:
        raise ValueError(f"attack {spec!r}: the parameter must be a number") from None


CHAIN = "+"  # joins attacks applied in turn


def check_spec(spec: str) -> None:
    """Raise ValueError, naming the problem, unless every attack in `spec` is known (before
    a benchmark's work starts)."""
    for step in spec.split(CHAIN):
        parse(step)


def apply(image: np.ndarray, spec: str) -> np.ndarray:
    """`image` after the attack `spec`, or after each of a chain of them, left to right."""
    steps = [parse(step) for step in spec.split(CHAIN)]  # every step checked before any runs
    for name, parameter in steps:
        image = ATTACKS[name].function(image, parameter)
    return image


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image)


def _encode(image: np.ndarray, fmt: str, quality: float, **options) -> np.ndarray:
    buffer = BytesIO()
    _pil(image).save(buffer, format=fmt, quality=int(quality), **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB")).copy()


@register("identity", counterpart="identity")
def identity(image: np.ndarray, _: float | None = None) -> np.ndarray:
    return image.copy()


@register("jpeg", 75, counterpart="jpeg")
def jpeg(image: np.ndarray, quality: float) -> np.ndarray:
    """Pillow JPEG with 4:2:0 chroma subsampling."""
    return _encode(image, "JPEG", quality, subsampling="4:2:0")


@register("webp", 75)
def webp(image: np.ndarray, quality: float) -> np.ndarray:
    return _encode(image, "WEBP", quality)


@register("resize", 0.5)
def resize(image: np.ndarray, scale: float) -> np.ndarray:
    """Scale both sides by `scale` (the image stays at the new size)."""
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interpolation)


@register("resize-back", 0.5, counterpart="resize_back")
def resize_back(image: np.ndarray, scale: float) -> np.ndarray:
    height, width = image.shape[:2]
    return cv2.resize(resize(image, scale), (width, height), interpolation=cv2.INTER_CUBIC)


@register("crop", 0.5)
def crop(image: np.ndarray, area: float) -> np.ndarray:
    """Centre crop keeping `area` of the pixels, aspect ratio kept."""
    return _crop_at(image, area, 0.5, 0.5)


@register("crop-random", 0.5)
def crop_random(image: np.ndarray, area: float, seed: int = 0) -> np.ndarray:
    """Crop keeping `area` of the pixels at a random (seeded) place."""
    rng = np.random.default_rng(seed)
    return _crop_at(image, area, rng.random(), rng.random())


def _crop_at(image: np.ndarray, area: float, where_y: float, where_x: float) -> np.ndarray:
    height, width = image.shape[:2]
    side = np.sqrt(area)
    new_h, new_w = max(1, round(height * side)), max(1, round(width * side))
    top = round((height - new_h) * where_y)
    left = round((width - new_w) * where_x)
    return image[top : top + new_h, left : left + new_w].copy()


@register("rotate", 2)
def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre on the same canvas; corners filled by reflection."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


@register("mirror")
def mirror(image: np.ndarray, _: float | None = None) -> np.ndarray:
    """Left and right swapped (a horizontal flip, as a selfie or a reposted meme)."""
    return image[:, ::-1].copy()


@register("turn", 90)
def turn(image: np.ndarray, degrees: float) -> np.ndarray:
    """A quarter turn or more, counter-clockwise: `degrees` a multiple of 90."""
    if degrees % 90:
        raise ValueError(f"turn takes a multiple of 90 degrees, not {degrees:g}")
    return np.rot90(image, int(degrees // 90) % 4).copy()


@register("stretch", 0.8)
def stretch(image: np.ndarray, factor: float) -> np.ndarray:
    """The width scaled by `factor`, the height kept: an aspect change."""
    height, width = image.shape[:2]
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, (max(1, round(width * factor)), height), interpolation=interpolation)


@register("perspective", 0.06)
def perspective(image: np.ndarray, shift: float) -> np.ndarray:
    """A photo of a screen or a print: the top corners pulled in by `shift` of the width and
    the right corners down by `shift` of the height, same canvas, edges reflected."""
    height, width = image.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    dx, dy = shift * width, shift * height
    moved = corners + np.float32([[dx, 0], [-dx, dy], [0, -dy], [0, 0]])
    matrix = cv2.getPerspectiveTransform(corners, moved)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


@register("noise", 5, counterpart="noise")
def noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Additive Gaussian noise, σ on the 0–255 scale, independent per channel."""
    rng = np.random.default_rng(seed)
    noisy = image + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


@register("saltpepper", 0.02)
def salt_pepper(image: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hit = rng.random(image.shape[:2])
    out = image.copy()
    out[hit < fraction / 2] = 0
    out[(hit >= fraction / 2) & (hit < fraction)] = 255
    return out


@register("blur", 1, counterpart="blur")
def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


@register("median", 3)
def median(image: np.ndarray, size: float) -> np.ndarray:
    return cv2.medianBlur(image, int(size))


@register("brightness", 1.3, counterpart="brightness")
def brightness(image: np.ndarray, factor: float) -> np.ndarray:
    return np.asarray(ImageEnhance.Brightness(_pil(image)).enhance(factor))


@register("contrast", 1.5, counterpart="contrast")
def contrast(image: np.ndarray, factor: float) -> np.ndarray:
    return np.asarray(ImageEnhance.Contrast(_pil(image)).enhance(factor))


@register("saturation", 1.5)
def saturation(image: np.ndarray, factor: float) -> np.ndarray:
    return np.asarray(ImageEnhance.Color(_pil(image)).enhance(factor))


@register("hue", 0.1)
def hue(image: np.ndarray, shift: float) -> np.ndarray:
    """Rotate hue by `shift` of a full turn."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(shift * 256)) % 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)


@register("grayscale")
def grayscale(image: np.ndarray, _: float | None = None) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.repeat(grey[..., None], 3, axis=2)


@register("social")
def social(image: np.ndarray, _: float | None = None) -> np.ndarray:
    """What a social network does on upload: downscale to 3/4, JPEG 75."""
    return jpeg(resize(image, 0.75), 75)


@register("chain")
def chain(image: np.ndarray, _: float | None = None) -> np.ndarray:
    """An edit then a save: crop to 70% of the area, brighten ×1.2, JPEG 80."""
    return jpeg(brightness(crop(image, 0.7), 1.2), 80)


@register("repost", 1080)
def repost(image: np.ndarray, long_side: float) -> np.ndarray:
    """A photo reposted: cropped to 70% of the area off the centre, downscaled to `long_side`
    px on the long side (never enlarged), JPEG 70."""
    cropped = _crop_at(image, 0.7, 0.2, 0.7)
    return jpeg(resize(cropped, min(1.0, long_side / max(cropped.shape[:2]))), 70)
