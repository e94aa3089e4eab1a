"""SQLite: an online copy with SQLite's backup API, and a restore that keeps the file it replaces.

The backup API copies the database in one step under a read transaction: in WAL mode the app and the
workers go on writing meanwhile, and the copy holds exactly the transactions committed before it began.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from referly.backup.partial import SIDE_FILES, side, written_whole
from referly.backup.versions import Migration, check_applied
from referly.errors import Conflict, InvalidInput, NotFound, Unavailable


@dataclass(frozen=True)
class Copy:
    """A checked copy: its size in bytes and how many tables it holds."""

    size: int
    tables: int


@dataclass(frozen=True)
class Restored:
    copy: Copy
    kept: Path | None
    """Where the replaced database now is, or None when there was none."""


def back_up(source: Path, out: Path) -> Copy:
    """Copy the database ``source`` to the new file ``out``, checked, whole or not at all."""
    if not source.is_file():
        raise Unavailable(f"No database at {source}: check the path, REFERLY_DB or --db")
    with written_whole(out) as partial:
        _copy(source, partial, named=str(source), refused=Unavailable)
        tables, _ = _check(partial, named=str(source))
    return Copy(out.stat().st_size, tables)


def restore(file: Path, target: Path, *, yes: bool, known: set[Migration]) -> Restored:
    """Put the backup ``file`` in place of the database ``target``, once it is checked; keep the old one.

    Nothing changes when the file is refused, or when ``target`` holds a database and ``yes`` is false."""
    if not file.is_file():
        raise NotFound(f"No backup at {file}: check the path")
    with file.open("rb") as reading:
        if reading.read(5) == b"PGDMP":
            raise InvalidInput(
                f"{file} is a pg_dump archive, and the configured database is a SQLite file: set"
                " REFERLY_DATABASE_URL to the PostgreSQL database to restore it into"
            )
    if target.exists() and file.resolve() == target.resolve():
        raise InvalidInput(f"{file} is the database itself: name the backup to restore")
    if not target.parent.is_dir():
        raise Unavailable(f"Cannot restore into {target}: the folder {target.parent} does not exist")
    replaced = _holds_data(target)
    with written_whole(target) as partial:
        _copy(file, partial, named=str(file), refused=InvalidInput)
        tables, applied = _check(partial, named=str(file))
        check_applied(str(file), applied, known)
        if replaced and not yes:
            raise Conflict(
                f"Restoring {file} would replace the SQLite file {target} ({_describe(target)}): stop the web"
                " app and the workers, then run again with --yes (the file replaced is kept beside it)",
                code="restore_needs_yes",
            )
        if replaced:
            _same_owner_and_mode(partial, target)
        kept = _move_aside(target) if replaced else None
        for suffix in SIDE_FILES:  # what an empty file, or none, had beside it
            with suppress(FileNotFoundError):
                side(target, suffix).unlink()
    return Restored(Copy(target.stat().st_size, tables), kept)


def _copy(source: Path, destination: Path, *, named: str, refused: type[InvalidInput | Unavailable]) -> None:
    try:
        with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(destination)) as writing:
            reading.backup(writing)
            # One self-contained file: opening it (even read-only) needs no -wal or -shm beside it. The app
            # turns WAL back on when it opens the restored file.
            writing.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise refused(f"{named} is not a SQLite database (or is damaged)") from None
        raise refused(f"Cannot copy {named}: {exc}") from None


def _check(copy: Path, *, named: str) -> tuple[int, list[Migration] | None]:
    """The copy's table count and applied migrations (None without a migrations table), once SQLite's
    integrity check passes."""
    try:
        with closing(sqlite3.connect(copy)) as connection:
            _add_django_functions(connection)
            verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise InvalidInput(f"{named} is damaged: SQLite's integrity check says {verdict[0]}")
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "django_migrations" not in names:
                return len(names), None
            applied = [(app, name) for app, name in connection.execute("SELECT app, name FROM django_migrations")]
            return len(names), applied
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{named} is not a SQLite database (or is damaged): {exc}") from None


def _add_django_functions(connection: sqlite3.Connection) -> None:
    """The SQL functions Django gives its SQLite connections: a table's CHECK constraint may call them
    (e.g. ``django_date_extract``), and the integrity check evaluates every constraint."""
    from django.db.backends.sqlite3._functions import register  # type: ignore[import-untyped]

    register(connection)


def _same_owner_and_mode(copy: Path, replaced: Path) -> None:
    """The restored file keeps the permissions of the one it replaces, so the app can still open it."""
    status = replaced.stat()
    os.chmod(copy, stat.S_IMODE(status.st_mode))
    if (status.st_uid, status.st_gid) != (copy.stat().st_uid, copy.stat().st_gid):
        with suppress(PermissionError):
            os.chown(copy, status.st_uid, status.st_gid)


def _holds_data(target: Path) -> bool:
    return target.exists() and target.stat().st_size > 0


def _describe(target: Path) -> str:
    status = target.stat()
    changed = datetime.fromtimestamp(status.st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{status.st_size / 1_000_000:.1f} MB, last changed {changed}"


def _move_aside(target: Path) -> Path:
    """Rename ``target`` (and the transactions its WAL file still holds) to a name of its own; drop the
    shared-memory index, which SQLite rebuilds."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    number = 1
    while kept.exists():
        number += 1
        kept = target.with_name(f"{target.name}.before-restore-{stamp}-{number}")
    try:
        os.rename(target, kept)
        for suffix in ("-wal", "-journal"):
            if side(target, suffix).exists():
                os.rename(side(target, suffix), side(kept, suffix))
        with suppress(FileNotFoundError):
            side(target, "-shm").unlink()
    except OSError as exc:
        raise Unavailable(f"Cannot move {target} aside: {exc.strerror or exc}") from None
    return kept
