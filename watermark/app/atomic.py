"""The one way this project writes a file: to a temporary file in the target folder, then a
rename.

A crash never leaves a half-written file under the final name, and without `force` an existing
file is never replaced, even by a file that appears while writing: the final step is then a
hard link, which fails if the name is taken. The temporary file's name ends with the target's
own name, so writers that choose what they write by the suffix (Keras, NumPy) write the right
thing; `remove_stale_temporaries` recognises the leftovers of a killed run by that name.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import ImageError

_TEMPORARY_PREFIX = "."
_TEMPORARY_MARK = ".tmp."
# .<mkstemp's 8 characters>.tmp.<the target's name>
TEMPORARY = re.compile(r"\.[a-z0-9_]{8}\.tmp\..+")


def refuse_existing(path: Path, force: bool, flag: str = "--force") -> None:
    """Nothing is overwritten unless asked: `flag` is the option that asks."""
    if path.exists() and not force:
        raise ImageError(f"{path}: already exists (use {flag} to overwrite)")


def save_atomically(path: Path, write: Callable[[str], None], force: bool = False) -> None:
    """Call `write(temporary_path)` in the target folder, then move the result to `path`."""
    path = Path(path)
    refuse_existing(path, force)
    with _temporary(path, force) as temporary, _as_image_error(path):
        write(temporary)


@contextmanager
def open_atomically(
    path: Path, force: bool = False, newline: str | None = None, flag: str = "--force"
) -> Iterator[IO]:
    """A text file to stream into; it appears at `path` only when the block ends without an
    error (and is discarded otherwise). Errors of the block itself are the caller's."""
    path = Path(path)
    refuse_existing(path, force, flag)
    with _temporary(path, force) as temporary:
        with _as_image_error(path):
            handle = open(temporary, "w", newline=newline)
        with handle:
            yield handle


def write_text_atomically(path: Path, text: str, force: bool = True) -> None:
    save_atomically(path, lambda temporary: Path(temporary).write_text(text), force)


@contextmanager
def _temporary(path: Path, force: bool) -> Iterator[str]:
    """A temporary file beside `path`, published there when the block ends without an error,
    removed in any case."""
    temporary = _temporary_beside(path)
    try:
        yield temporary
        with _as_image_error(path):
            _publish(temporary, path, force)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@contextmanager
def _as_image_error(path: Path) -> Iterator[None]:
    """A failing write (disk full, read-only, permissions) as the one-line error naming `path`."""
    try:
        yield
    except ImageError:
        raise
    except OSError as error:
        raise ImageError(f"{path}: cannot write ({error.strerror or error})") from None


def _temporary_beside(path: Path) -> str:
    """An empty temporary file in `path`'s folder, with the usual permissions (not 0600)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImageError(f"{path}: folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=_TEMPORARY_PREFIX, suffix=_TEMPORARY_MARK + path.name, dir=folder
        )
    except PermissionError:
        raise ImageError(f"{path}: cannot write in {folder} (permission denied)") from None
    except OSError as error:
        raise ImageError(f"{path}: cannot write in {folder} ({error.strerror or error})") from None
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_umask())
    return temporary


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _publish(temporary: str, path: Path, force: bool) -> None:
    """Move a finished temporary file to `path`; without `force`, never replace a file."""
    if force:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        refuse_existing(path, force)
    except OSError:  # file systems without hard links
        refuse_existing(path, force)
        os.replace(temporary, path)


def remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed run left in `folder`.

    Call it only when no writer of this run is at work in `folder` (for a batch: when the plan
    first reaches the folder, before any of its jobs start).
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # not there yet: nothing stale
    for entry in entries:
        if TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)
