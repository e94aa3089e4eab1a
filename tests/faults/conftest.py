"""Faults survived on purpose: the fixtures that break things while Referly runs, as a user's machine would.

Every test runs real `referly` processes (tests/jobs/scratch.py starts them) on a database of their own,
injects one fault, and compares what the database holds with an undisturbed run of the same input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import on_postgres
from tests.faults.cluster import Cluster, remove_cluster, start_cluster
from tests.faults.records import Holdings, holdings, write_export
from tests.jobs.scratch import process_env

BIG = 200_000  # interactions in the export imported while the database restarts
SMALL = 20_000  # interactions in the export of the other faults


def scratch_name(name: str) -> str:
    """A scratch database's name that carries the suite's own database name, so two suites sharing one
    PostgreSQL server never meet."""
    suite = os.environ.get("REFERLY_DATABASE_URL", "").rsplit("/", 1)[-1].removeprefix("referly").strip("_")
    return "_".join(part for part in ("referly", suite, name, str(os.getpid())) if part)


@dataclass
class Databases:
    """Fresh databases on one server (or SQLite files in one folder), each a copy of one migrated once:
    migrating a PostgreSQL database costs seconds, copying one a fraction of a second."""

    folder: Path
    server: str | None  # postgresql://user@host:port, or None for SQLite files
    made: list[str] = field(default_factory=list)

    def env(self, name: str) -> dict[str, str]:
        if self.server is None:
            return {"REFERLY_DB": str(self.folder / f"{name}.db")}
        return {"REFERLY_DATABASE_URL": f"{self.server}/{name}"}

    def migrate_template(self) -> None:
        template = scratch_name("template")
        self._create(template, "")
        done = referly("init", env=self.env(template), cwd=self.folder)
        assert done.returncode == 0, done.stdout + done.stderr

    def fresh(self, name: str) -> dict[str, str]:
        """A new database holding only Referly's tables (no records)."""
        full = scratch_name(name)
        if self.server is None:
            shutil.copyfile(self.folder / f"{scratch_name('template')}.db", self.folder / f"{full}.db")
        else:
            self._create(full, f" TEMPLATE {scratch_name('template')}")
        return self.env(full)

    def _create(self, name: str, template: str) -> None:
        if self.server is None:
            return
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}{template}")
        self.made.append(name)

    def drop_all(self) -> None:
        if self.server is None:
            return
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            for name in reversed(self.made):
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Fresh databases of the suite's kind: on its PostgreSQL server, or SQLite files."""
    server = os.environ["REFERLY_DATABASE_URL"].rsplit("/", 1)[0] if on_postgres() else None
    made = Databases(tmp_path_factory.mktemp("databases"), server)
    made.migrate_template()
    try:
        yield made
    finally:
        made.drop_all()


@pytest.fixture
def scratch(databases: Databases, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh database of the test's own, named after the test."""
    return databases.fresh(request.node.name.split("[")[0].removeprefix("test_")[:24])


def referly(*args: str, env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`referly ARGS` run to its end as a user runs it, its output kept."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "referly", *args],
        env=process_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("small-export"), SMALL)


@pytest.fixture(scope="session")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("big-export"), BIG)


Undisturbed = Callable[[Path], Holdings]


@pytest.fixture(scope="session")
def undisturbed(databases: Databases) -> Undisturbed:
    """What one import of an export leaves in a fresh database of the suite's kind, with nothing going wrong."""
    known: dict[Path, Holdings] = {}

    def reference(export: Path) -> Holdings:
        if export not in known:
            env = databases.fresh(f"undisturbed{len(known)}")
            done = referly("import", str(export), env=env, cwd=databases.folder)
            assert done.returncode == 0, done.stdout + done.stderr
            known[export] = holdings(env)
        return known[export]

    return reference


@dataclass
class Restartable:
    """A PostgreSQL cluster of the suite's own, and fresh databases on it."""

    cluster: Cluster
    databases: Databases


@pytest.fixture(scope="session")
def throwaway_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restartable]:
    """A PostgreSQL cluster this suite may restart (only when the suite runs on PostgreSQL)."""
    if not on_postgres():
        pytest.skip("SQLite has no server to restart: the database is a file the command itself opens")
    cluster = start_cluster()
    try:
        made = Databases(tmp_path_factory.mktemp("cluster-databases"), cluster.url("").rstrip("/"))
        made.migrate_template()
        yield Restartable(cluster, made)
    finally:
        remove_cluster(cluster)


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll ``ready`` until it holds; fail naming ``what`` after ``timeout`` seconds (a safety net, not a pace)."""
    import time

    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def lock_waiters(env: dict[str, str]) -> int:
    """Sessions of this PostgreSQL database waiting for a lock another holds."""
    from tests.jobs.scratch import query

    return int(
        query(
            env,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )[0][0]
    )


def sqlite_writer_busy(env: dict[str, str]) -> bool:
    """Whether another process holds SQLite's one write lock (is inside a write transaction) right now."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(env["REFERLY_DB"], timeout=0, isolation_level=None)) as probe:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        return False


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (e.g. a gunicorn master's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def token_for(env: dict[str, str], cwd: Path) -> str:
    """An admin login's API token with the write scope, made with `referly user`."""
    made = referly("user", "create", "load@ours.example", "--role", "admin", "--name", "Load", env=env, cwd=cwd)
    assert made.returncode == 0, made.stdout + made.stderr
    issued = referly("user", "token", "load@ours.example", "--name", "load", "--scope", "write", env=env, cwd=cwd)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    return issued.stdout.split("Token (shown once):")[1].split()[0]


def call_api(url: str, token: str, method: str, path: str, body: bytes | None, key: str = "") -> tuple[str, Any]:
    """One API request as a client makes it: its status (or "connection error") and its JSON answer."""
    import json
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    asked = urllib.request.Request(url + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(asked, timeout=120) as answer:
            return str(answer.status), json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as refused:
        return str(refused.code), {}
    except OSError:  # refused, reset or dropped: what a client sees of a server that went away
        return "connection error", {}
