"""PostgreSQL: ``pg_dump --format=custom`` to back up, and a restore in one transaction.

The restore checks the archive's migrations before touching anything, keeps a dump of the database it
replaces, then drops Referly's tables and replays the archive in a single ``psql`` transaction: the
database ends either as it was or as the archive holds it, never half restored. The password travels in
the tools' environment, never on their command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from referly.backup.partial import written_whole
from referly.backup.versions import Migration, check_applied
from referly.errors import Conflict, InvalidInput, NotFound, Unavailable

ARCHIVE_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
# libpq's environment variable for each connection option Django's settings may hold.
LIBPQ_VARIABLES = {
    "NAME": "PGDATABASE",
    "USER": "PGUSER",
    "PASSWORD": "PGPASSWORD",
    "HOST": "PGHOST",
    "PORT": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
# Every table, view and sequence of the public schema goes before the archive recreates them, so that
# tables a newer version had added do not outlive the restore.
DROP_EVERYTHING = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    ORDER BY c.relkind DESC
  LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      item.relname);
  END LOOP;
END $$;
"""


@dataclass(frozen=True)
class Database:
    """The configured PostgreSQL database, as Django's settings give it."""

    settings: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.settings["NAME"])

    def describe(self) -> str:
        s = self.settings
        return f"the PostgreSQL database {self.name} on {s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"

    def environment(self) -> dict[str, str]:
        """The tools' environment: this process's, with the database's connection in libpq's variables."""
        given = {**self.settings, **self.settings.get("OPTIONS", {})}
        chosen = {variable: str(given[key]) for key, variable in LIBPQ_VARIABLES.items() if given.get(key)}
        return {**os.environ, **chosen}


@dataclass(frozen=True)
class Restored:
    tables: int
    kept: Path | None
    """The dump of the database replaced, or None when it held no table."""


def back_up(database: Database, out: Path) -> int:
    """Dump ``database`` to the new file ``out`` (custom format), checked readable; its size in bytes."""
    with written_whole(out) as partial:
        _run(database, [tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"], "pg_dump")
        _run(database, [tool("pg_restore"), "--list", str(partial)], "pg_restore --list")
    return out.stat().st_size


def restore(file: Path, database: Database, *, yes: bool, known: set[Migration], keep_in: Path) -> Restored:
    """Replace the contents of ``database`` with the archive ``file``, once it is checked.

    Nothing changes when the archive is refused, or when the database holds tables and ``yes`` is false."""
    listing = _check_archive(file)
    check_applied(str(file), _applied(file, listing), known)
    tables = _table_count(database)
    if tables and not yes:
        raise Conflict(
            f"Restoring {file} would replace {tables} tables of {database.describe()}: stop the web app and"
            " the workers, then run again with --yes (a dump of what it replaces is kept first)",
            code="restore_needs_yes",
        )
    kept = None
    if tables:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = keep_in / f"{database.name}.before-restore-{stamp}.dump"
        if kept.exists():
            raise Conflict(f"{kept} already exists: wait a second and run again")
        back_up(database, kept)
    with tempfile.TemporaryDirectory(prefix="referly-restore-") as folder:
        script = Path(folder) / "restore.sql"
        _run(
            database,
            [tool("pg_restore"), "--no-owner", "--no-acl", f"--file={script}", str(file)],
            "pg_restore",
        )
        _run(
            database,
            [
                *(tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"),
                *("--command", DROP_EVERYTHING, "--file", str(script)),
            ],
            "psql",
            kept=kept,
        )
    return Restored(_table_count(database), kept)


def tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a sentence saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise Unavailable(
            f"{name} is not installed: install PostgreSQL's client programs (e.g. `apt install"
            " postgresql-client`), of the server's major version or newer"
        )
    return found


def _run(database: Database, command: list[str], named: str, *, kept: Path | None = None) -> str:
    done = subprocess.run(command, env=database.environment(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = _reason(done.stderr)
        after = f"; nothing was changed, and the previous contents are also in {kept}" if kept else ""
        raise Unavailable(f"{named} failed on {database.describe()}: {reason}{after}")
    return done.stdout


def _reason(stderr: str) -> str:
    """The server's or the tool's error in what a PostgreSQL program printed, without its notices."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()] or ["no message"]
    line = next((each for each in lines if re.search(r"\b(ERROR|FATAL|error):", each)), lines[-1])
    for marker in ("ERROR:", "FATAL:", "error:"):
        if marker in line:
            line = line.rpartition(marker)[2]
            break
    return " ".join(line.split())


def _check_archive(file: Path) -> str:
    """The archive's table of contents, once ``file`` is known to be a readable pg_dump archive."""
    if not file.is_file():
        raise NotFound(f"No backup at {file}: check the path")
    with file.open("rb") as reading:
        start = reading.read(len(SQLITE_MAGIC))
    if start.startswith(SQLITE_MAGIC):
        raise InvalidInput(
            f"{file} is a SQLite database, and the configured database is PostgreSQL: restore it into a SQLite"
            " file with --db PATH"
        )
    if not start.startswith(ARCHIVE_MAGIC):
        raise InvalidInput(f"{file} is not a Referly backup: neither a pg_dump archive nor a SQLite database")
    listed = subprocess.run([tool("pg_restore"), "--list", str(file)], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise InvalidInput(f"{file} is a damaged pg_dump archive: {_reason(listed.stderr)}")
    return listed.stdout


def _applied(file: Path, listing: str) -> list[Migration] | None:
    """The migrations the archive's ``django_migrations`` table holds, or None when it has no such table."""
    if not re.search(r"TABLE DATA \S+ django_migrations ", listing):
        return None
    read = subprocess.run(
        [tool("pg_restore"), "--data-only", "--table=django_migrations", "--file=-", str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if read.returncode != 0:
        raise InvalidInput(f"{file} is a damaged pg_dump archive: {_reason(read.stderr)}")
    script = read.stdout
    block = re.search(r"^COPY \S*django_migrations \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", script, re.M | re.S)
    if block is None:
        return None
    columns = [column.strip() for column in block.group(1).split(",")]
    app, name = columns.index("app"), columns.index("name")
    return [(values[app], values[name]) for values in (line.split("\t") for line in block.group(2).splitlines())]


def _table_count(database: Database) -> int:
    import psycopg

    params = {
        key: value
        for key, value in {
            "dbname": database.name,
            "user": database.settings.get("USER"),
            "password": database.settings.get("PASSWORD"),
            "host": database.settings.get("HOST"),
            "port": database.settings.get("PORT"),
            **{k: v for k, v in database.settings.get("OPTIONS", {}).items() if k in LIBPQ_VARIABLES},
        }.items()
        if value not in (None, "")
    }
    try:
        with psycopg.connect(**params) as connection:
            row = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unavailable(f"Cannot reach {database.describe()}: {first}") from None
    return int(row[0]) if row else 0
