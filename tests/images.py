"""Small photo-like images and marks made on the fly, for every test (nothing downloaded)."""

from __future__ import annotations

import cv2
import numpy as np


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A photo-like RGB uint8 image: smooth shading, soft shapes, fine texture, sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.zeros((height, width, 3), np.float32)
    for channel in range(3):
        for _ in range(4):
            fy, fx = rng.uniform(0.5, 4.0, 2) * np.pi / np.float32([height, width])
            phase = rng.uniform(0, 2 * np.pi)
            image[..., channel] += rng.uniform(20, 45) * np.cos(fy * y + fx * x + phase)
    image += 120
    for _ in range(6):
        centre = rng.integers(0, [width, height])
        radius = int(rng.integers(8, max(9, min(height, width) // 4)))
        colour = rng.uniform(-60, 60, 3).tolist()
        blob = np.zeros_like(image)
        cv2.circle(blob, (int(centre[0]), int(centre[1])), radius, colour, -1)
        image += cv2.GaussianBlur(blob, (0, 0), 3)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 1.2)
    image += 25 * texture[..., None] + rng.normal(0, 2, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def monogram(size: int = 96) -> np.ndarray:
    """A black 'W' in a ring on white, RGB uint8."""
    canvas = np.full((size, size, 3), 255, np.uint8)
    cv2.circle(canvas, (size // 2, size // 2), size // 2 - 4, (0, 0, 0), 6)
    corner = (size // 5, 3 * size // 4)
    cv2.putText(canvas, "W", corner, cv2.FONT_HERSHEY_DUPLEX, size / 40, (0, 0, 0), 5)
    return canvas
