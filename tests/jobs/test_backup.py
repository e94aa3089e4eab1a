"""The backup and restore commands of docs/deploy.md bring every row back."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunCli, on_postgres
from tests.jobs.scratch import query

DEPLOY = ROOT / "docs" / "deploy.md"
# The commands as docs/deploy.md gives them; $REFERLY_DATABASE_URL and $ADMIN_URL are filled in by the test.
PG_BACKUP = 'pg_dump --format=custom --no-owner --file=referly.dump "$REFERLY_DATABASE_URL"'
PG_WIPE = ('dropdb --force --maintenance-db="$ADMIN_URL" referly', 'createdb --maintenance-db="$ADMIN_URL" referly')
PG_RESTORE = 'pg_restore --no-owner --single-transaction --dbname="$REFERLY_DATABASE_URL" referly.dump'
SQLITE_BACKUP = "python -c \"import sqlite3; sqlite3.connect('referly.db').backup(sqlite3.connect('backup.db'))\""
SQLITE_RESTORE = "rm -f referly.db-wal referly.db-shm && cp backup.db referly.db"


def test_the_guide_gives_the_tested_commands() -> None:
    guide = DEPLOY.read_text()
    missing = [c for c in (PG_BACKUP, *PG_WIPE, PG_RESTORE, SQLITE_BACKUP, SQLITE_RESTORE) if c not in guide]
    assert missing == []


def fill(run_referly: RunCli, env: dict[str, str], *db: str) -> None:
    """A small company, a scoring run and a few jobs with their runs."""
    for step in (
        ["demo-data", "--scale", "tiny", "--seed", "5", "--until", "2026-11-01", *db],
        ["job", "add", "review-reminder", *db],
        ["worker", "--once", *db],
    ):
        done = run_referly(*step, env=env)
        assert done.returncode == 0, done.stdout + done.stderr


def shell(command: str, cwd: Path, **variables: str) -> None:
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **variables},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


@pytest.mark.skipif(not on_postgres(), reason="pg_dump backs up PostgreSQL; the SQLite run tests the SQLite backup")
def test_a_postgres_backup_restored_into_a_wiped_database_has_every_row(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path
) -> None:
    url = scratch_database["REFERLY_DATABASE_URL"]
    fill(run_referly, scratch_database)
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"

    def counts() -> dict[str, int]:
        names = [row[0] for row in query(scratch_database, tables)]
        return {name: query(scratch_database, f'SELECT COUNT(*) FROM "{name}"')[0][0] for name in names}

    before = counts()
    assert before["crm_interaction"] > 0 and before["jobs_job"] == 5 and before["jobs_jobrun"] == 5
    base, name = url.rsplit("/", 1)
    variables = {"REFERLY_DATABASE_URL": url, "ADMIN_URL": f"{base}/postgres"}
    shell(PG_BACKUP, tmp_path, **variables)
    for step in PG_WIPE:
        shell(step.replace(" referly", f" {name}"), tmp_path, **variables)
    assert counts() == {}
    shell(PG_RESTORE, tmp_path, **variables)

    assert counts() == before
    added = run_referly("job", "add", "score", env=scratch_database)  # the id sequences came back too
    assert added.returncode == 0, added.stderr
    assert "Job 6 (score) queued" in added.stdout


@pytest.mark.skipif(on_postgres(), reason="the SQLite backup is tested in the SQLite run")
def test_a_sqlite_backup_restored_over_a_lost_file_has_every_row(run_referly: RunCli, tmp_path: Path) -> None:
    fill(run_referly, {}, "--db", "referly.db")
    database = tmp_path / "referly.db"

    def counts() -> dict[str, int]:
        with closing(sqlite3.connect(database)) as connection:
            names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {n: connection.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}

    before = counts()
    assert before["crm_interaction"] > 0 and before["jobs_job"] == 5 and before["jobs_jobrun"] == 5
    shell(SQLITE_BACKUP, tmp_path)
    for lost in tmp_path.glob("referly.db*"):
        lost.unlink()
    shell(SQLITE_RESTORE, tmp_path)

    assert counts() == before
    added = run_referly("job", "add", "score", "--db", "referly.db")
    assert added.returncode == 0 and "Job 6 (score) queued" in added.stdout, added.stderr
