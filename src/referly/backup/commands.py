"""`referly backup --out FILE` and `referly restore FILE [--db PATH] --yes`."""

from __future__ import annotations

from pathlib import Path

import click

from referly.terminal import console, database_option


@click.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (SQLite: a database file; PostgreSQL: a pg_dump archive).",
)
@click.option("--force", is_flag=True, help="Replace FILE when it already exists.")
@database_option
def backup(out: Path, force: bool) -> None:
    """Copy the whole database to a file, safely while the web app and the workers write."""
    from referly.backup import postgres, sqlite
    from referly.database import database_settings
    from referly.errors import Conflict, Unavailable

    if out.exists() and not force:
        raise Conflict(f"{out} already exists: choose another name, or add --force to replace it", field="out")
    if not out.parent.is_dir():
        raise Unavailable(f"Cannot write {out}: the folder {out.parent} does not exist", field="out")
    settings = database_settings()
    if settings["ENGINE"].endswith("sqlite3"):
        source = Path(settings["NAME"])
        if out.resolve() == source.resolve():
            raise Conflict(f"{out} is the database itself: write the backup to another file", field="out")
        copy = sqlite.back_up(source, out)
        console.print(
            f"Backed up the SQLite file {source} to {out}: {_size(copy.size)}, {copy.tables} tables,"
            " integrity checked.",
            markup=False,
            soft_wrap=True,
        )
        return
    database = postgres.Database(settings)
    size = postgres.back_up(database, out)
    console.print(
        f"Backed up {database.describe()} to {out} (pg_dump archive, {_size(size)}).", markup=False, soft_wrap=True
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that holds data (what it held is kept first).")
@database_option
def restore(file: Path, yes: bool) -> None:
    """Put a backup in place of the database, once it is checked to be a Referly database this version knows.

    Stop the web app and the workers first. The database replaced is kept: a SQLite file is renamed
    NAME.before-restore-<time>, a PostgreSQL database is dumped beside FILE first."""
    from referly.backup import postgres, sqlite
    from referly.backup.versions import known_migrations
    from referly.database import database_errors, database_settings, describe, migrate_if_needed, open_database

    settings = database_settings()
    known = known_migrations()
    if settings["ENGINE"].endswith("sqlite3"):
        done = sqlite.restore(file, Path(settings["NAME"]), yes=yes, known=known)
        tables, kept = done.copy.tables, done.kept
    else:
        restored = postgres.restore(file, postgres.Database(settings), yes=yes, known=known, keep_in=file.parent)
        tables, kept = restored.tables, restored.kept
    open_database(migrate=False, create=False)
    with database_errors():
        upgraded = migrate_if_needed()
    console.print(f"Restored {file} into the {describe()}: {tables} tables.", markup=False, soft_wrap=True)
    if upgraded:
        console.print(
            "The backup came from an older version: its migrations were applied.", markup=False, soft_wrap=True
        )
    if kept is not None:
        console.print(f"What it replaced is kept in {kept}.", markup=False, soft_wrap=True)


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"
