"""Work on huge photos a band of rows at a time, so float temporaries stay bounded."""

from __future__ import annotations

from collections.abc import Iterator

ROWS_PER_CHUNK = 1024


def row_chunks(height: int) -> Iterator[slice]:
    """Slices of at most `ROWS_PER_CHUNK` rows that cover `height` rows, in order."""
    for start in range(0, height, ROWS_PER_CHUNK):
        yield slice(start, start + ROWS_PER_CHUNK)
