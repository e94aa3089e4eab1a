"""A file written under a temporary name beside its final one, and renamed only once it is whole.

A copy killed half way leaves ``NAME.<random>.partial``, never a half file under ``NAME``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from referly.errors import Unavailable

# What SQLite keeps beside a database file while it is open or after a crash.
SIDE_FILES = ("-wal", "-shm", "-journal")


@contextmanager
def written_whole(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` to write; renamed to ``final`` when the block ends without error,
    removed (with SQLite's side files) when it fails."""
    try:
        handle, name = tempfile.mkstemp(dir=final.parent, prefix=f"{final.name}.", suffix=".partial")
    except OSError as exc:
        raise Unavailable(f"Cannot write in {final.parent}: {exc.strerror or exc}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _flush(temporary)
        os.replace(temporary, final)
        _flush(final.parent)
    finally:
        remove_with_side_files(temporary)


def remove_with_side_files(path: Path) -> None:
    for each in (path, *(side(path, suffix) for suffix in SIDE_FILES)):
        with suppress(FileNotFoundError):
            each.unlink()


def side(path: Path, suffix: str) -> Path:
    """SQLite's side file of ``path``, e.g. ``referly.db-wal``."""
    return path.with_name(path.name + suffix)


def _flush(path: Path) -> None:
    """Make ``path`` (a file, or a folder's list of names) reach the disk before going on."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
