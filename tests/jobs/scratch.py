"""Reading and holding a scratch database (from the `scratch_database` fixture) from outside Referly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any


def process_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a `referly` process on the scratch database (as `run_referly` gives it)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    return clean | env | {"PYTHONUNBUFFERED": "1"}


def start_referly(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "referly", *args],
        cwd=cwd,
        env=process_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    url = env.get("REFERLY_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            return connection.execute(sql).fetchall()
    with closing(sqlite3.connect(env["REFERLY_DB"])) as connection:
        return connection.execute(sql).fetchall()


@contextmanager
def writes_held(env: dict[str, str], table: str = "jobs_job") -> Iterator[None]:
    """Hold off every write to ``table`` (on SQLite: to the database; reads go on) until the block ends."""
    url = env.get("REFERLY_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            connection.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                connection.rollback()
        return
    with closing(sqlite3.connect(env["REFERLY_DB"], isolation_level=None)) as connection:
        connection.execute("BEGIN IMMEDIATE")  # SQLite's one write lock; WAL readers are not blocked
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
