"""Where the system of record lives, and how a command opens it.

SQLite is the zero-configuration default; ``REFERLY_DATABASE_URL=postgresql://...`` selects
PostgreSQL. Every failure to reach or write the database becomes one ``Unavailable`` sentence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from referly import config
from referly.errors import Unavailable

SUPPORTED_SCHEMES = ("postgresql", "postgres", "sqlite")
# Whether opening a SQLite file that does not exist yet creates it. A command that only reads or adds to a
# database refuses a missing file instead (a mistyped --db would otherwise become an empty database).
MAY_CREATE: ContextVar[bool] = ContextVar("referly_may_create_database", default=True)


# The web app keeps each thread's connection between requests (SQLite keeps its page cache warm, PostgreSQL
# skips a connection per request), and checks it is alive before reusing it.
KEPT_CONNECTIONS: dict[str, Any] = {"conn_max_age": 300, "conn_health_checks": True}


def database_settings() -> dict[str, Any]:
    """Django's DATABASES['default'] from REFERLY_DATABASE_URL, or the SQLite file REFERLY_DB."""
    url = config.DATABASE_URL.value().strip()
    if not url:
        return sqlite_settings(Path(config.DB.value()))
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_SCHEMES:
        raise Unavailable(
            f"REFERLY_DATABASE_URL must start with postgresql:// or sqlite:///, not {scheme or 'nothing'}://",
            detail="leave it empty to use the SQLite file referly.db",
        )
    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url, **KEPT_CONNECTIONS))
    except Exception as exc:  # the parser raises several types for malformed URLs
        raise Unavailable(f"REFERLY_DATABASE_URL is not a valid database URL: {exc}") from None
    if parsed["ENGINE"].endswith("sqlite3"):
        return sqlite_settings(Path(parsed["NAME"]))
    if not parsed.get("NAME"):
        raise Unavailable("REFERLY_DATABASE_URL names no database: add one, e.g. postgresql://host:5432/referly")
    parsed.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    parsed["TEST"] = {"NAME": f"test_{parsed['NAME']}"}
    return parsed


def sqlite_settings(path: Path) -> dict[str, Any]:
    return {
        "CONN_MAX_AGE": KEPT_CONNECTIONS["conn_max_age"],
        "CONN_HEALTH_CHECKS": KEPT_CONNECTIONS["conn_health_checks"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path.expanduser().resolve()),
        "OPTIONS": {
            # WAL lets the dashboard read while a command writes; IMMEDIATE avoids lock upgrades failing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def use_sqlite_file(path: Path) -> None:
    """Point this process at a SQLite file (the CLI's ``--db``). Must run before Django starts."""
    os.environ[config.DB.name] = str(path)
    os.environ.pop(config.DATABASE_URL.name, None)


def describe() -> str:
    """A short human name of the configured database, e.g. for the CLI's messages."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite file {s['NAME']}"
    return f"PostgreSQL database {s['NAME']} on {s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"


def start_django() -> None:
    """Load settings and models, without touching the database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
    import django

    django.setup()


@contextmanager
def creating(allowed: bool) -> Iterator[None]:
    """Within the block, ``open_database`` creates a missing SQLite file only when ``allowed``."""
    token = MAY_CREATE.set(allowed)
    try:
        yield
    finally:
        MAY_CREATE.reset(token)


def open_database(*, migrate: bool = True, create: bool | None = None) -> None:
    """Start Django, check the database answers and is writable, and apply pending migrations.

    A missing SQLite file is created when ``create`` (default: what the running command allows, see
    ``creating``), else refused with the command that creates it."""
    start_django()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not _in_memory(name):
        path = Path(name)
        if not path.exists() and not (MAY_CREATE.get() if create is None else create):
            raise Unavailable(
                f"No database at {path}: check the path, or create it with `referly init --db {path}`",
                detail="`referly demo` or `referly import` also create one",
                code="database_missing",
            )
        _check_sqlite_path(path)
    with database_errors():
        connection.ensure_connection()
        if migrate:
            migrate_if_needed()


def migrate_if_needed() -> bool:
    """Apply pending migrations; True when there were some."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    call_command("migrate", verbosity=0, interactive=False)
    return True


def _in_memory(name: str) -> bool:
    from django.db.backends.sqlite3.creation import DatabaseCreation

    return bool(DatabaseCreation.is_in_memory_db(name))


def _check_sqlite_path(path: Path) -> None:
    if not path.parent.is_dir():
        raise Unavailable(f"Cannot create the database {path}: the folder {path.parent} does not exist")
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise Unavailable(f"Cannot write the database {path}: {exc.strerror or exc}") from None


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn the driver's connection and permission failures into one sentence."""
    from django.db import DatabaseError, IntegrityError

    try:
        yield
    except IntegrityError:
        raise
    except DatabaseError as exc:
        raise Unavailable(_explain(exc)) from None


def unavailable(exc: BaseException) -> Unavailable | None:
    """The sentence for a database failure met mid-command (connection lost, disk full); None for anything else.

    Only the database being out of reach (an operational or interface error) is expected: a refused constraint
    or bad SQL is a bug, left to surface."""
    django_db = sys.modules.get("django.db")
    if django_db is None or not isinstance(exc, django_db.OperationalError | django_db.InterfaceError):
        return None
    # Rolling back after a lost connection reconnects, and that may fail too (the server still restarting):
    # the first failure in the chain says what happened.
    first, earlier = exc, exc.__context__
    for _ in range(8):
        if earlier is None:
            break
        if isinstance(earlier, django_db.DatabaseError):
            first = earlier
        earlier = earlier.__context__
    return Unavailable(_explain(first))


# What the drivers say when the server went away under an open connection (PostgreSQL restarted or stopped).
_LOST = ("terminating connection", "server closed the connection", "connection is lost", "connection is closed")
_UNFINISHED = "the unfinished work was rolled back, nothing of it was kept"


def _explain(exc: Exception) -> str:
    from django.db import connection

    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = describe()
    lowered = first_line.lower()
    # Python's sqlite3 names SQLite's result code: SQLITE_FULL for no space left, SQLITE_IOERR_* for a failed write.
    sqlite_code = str(getattr(exc.__cause__, "sqlite_errorname", ""))
    if sqlite_code == "SQLITE_FULL" or "disk is full" in lowered:
        return f"The disk holding the {where} is full (no space left): {_UNFINISHED}; make room and run it again"
    if sqlite_code.startswith("SQLITE_IOERR"):
        return (
            f"Cannot write the {where}: {first_line} (is the disk full, or the file at its size limit?): "
            f"{_UNFINISHED}; make room and run it again"
        )
    if any(lost in lowered for lost in _LOST):
        # The driver's words last: the worker adds when it tries again after them.
        return f"Lost the connection to the {where} (did the server restart?), so {_UNFINISHED}: {first_line}"
    if "not a database" in lowered:
        return f"The {where} is not a SQLite database (or is damaged): choose another file with --db"
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return f"Cannot write the {where}: {first_line}"
    if connection.vendor == "postgresql":
        if "does not exist" in lowered:
            name = connection.settings_dict["NAME"]
            return f"The {where} does not exist: create it with `createdb {name}` or change REFERLY_DATABASE_URL"
        if "refused" in lowered or "timeout" in lowered or "could not" in lowered or "failed" in lowered:
            return f"Cannot reach the {where}: is the server running? Check REFERLY_DATABASE_URL ({first_line})"
    return f"The {where} refused the operation: {first_line}"
