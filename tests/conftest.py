"""Shared fixtures: a loaded Watermarker; a small photo, a mark and a messy folder as files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import monogram, photo


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the `watermarker` fixture runs the shipped networks: it is marked
    `networks` (`pytest -m "not networks and not training"` runs the rest in seconds)."""
    for item in items:
        if "watermarker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.networks)


@pytest.fixture(scope="session")
def watermarker():
    from watermark import Watermarker

    return Watermarker()


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(photo(256, 320, seed=1)).save(path)
    return path


@pytest.fixture
def mark_path(tmp_path: Path) -> Path:
    path = tmp_path / "mark.png"
    Image.fromarray(monogram()).save(path)
    return path


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """Good images at two depths, an RGBA PNG, and the usual junk."""
    source = tmp_path / "photos"
    (source / "sub").mkdir(parents=True)
    Image.fromarray(photo(160, 200, seed=1)).save(source / "a.jpg")
    Image.fromarray(photo(180, 160, seed=2)).save(source / "sub" / "b.png")
    rgba = np.dstack([photo(160, 160, seed=3), np.full((160, 160), 90, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(source / "sub" / "c.png")
    (source / "text.jpg").write_text("I am not a JPEG")
    (source / "zero.png").write_bytes(b"")
    (source / "corrupt.jpg").write_bytes((source / "a.jpg").read_bytes()[:400])
    (source / "notes.txt").write_text("not an image, not by name either")
    return source
