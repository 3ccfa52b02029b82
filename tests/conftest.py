"""Shared fixtures: a loaded Watermarker, and a small photo and mark as files."""

from __future__ import annotations

from pathlib import Path

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
