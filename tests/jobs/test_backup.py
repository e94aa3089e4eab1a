"""`referly backup` and `referly restore`, and the commands of docs/deploy.md, bring every row back.

A restored database is compared with its source table by table: the row count and a digest of every row,
ordered by primary key. A refused restore leaves the database it would replace exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.backup.versions import check_applied
from referly.errors import InvalidInput
from tests.conftest import ROOT, RunCli, on_postgres, scratch_settings
from tests.jobs.scratch import query, start_referly

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


# --- referly backup / referly restore ----------------------------------------------------------------------

Tables = dict[str, tuple[int, str]]


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A second database to restore into: a SQLite file that does not exist yet, or a new PostgreSQL one."""
    if on_postgres():
        yield from scratch_settings(tmp_path, "restored")
    else:
        yield {"REFERLY_DB": str(tmp_path / "restored.db")}


def every_table(env: dict[str, str]) -> Tables:
    """Each table's row count and a digest of all its rows, ordered by primary key."""
    url = env.get("REFERLY_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            names = [r[0] for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            keys = {
                table: columns
                for table, columns in connection.execute(
                    "SELECT c.relname, array_agg(a.attname ORDER BY a.attnum) FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
                    " WHERE i.indisprimary AND n.nspname = 'public' GROUP BY c.relname"
                )
            }
            return {
                name: digest(connection.execute(f'SELECT * FROM "{name}" ORDER BY {order(keys.get(name))}').fetchall())
                for name in names
            }
    with closing(sqlite3.connect(env["REFERLY_DB"])) as connection:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {}
        for name in names:
            key = [r[1] for r in sorted(connection.execute(f'PRAGMA table_info("{name}")'), key=lambda r: r[5]) if r[5]]
            rows = connection.execute(f'SELECT * FROM "{name}" ORDER BY {order(key or ["rowid"])}').fetchall()
            tables[name] = digest(rows)
        return tables


def order(columns: list[str] | None) -> str:
    return ", ".join(f'"{c}"' if c != "rowid" else c for c in columns) if columns else "1"


def digest(rows: list[tuple[object, ...]]) -> tuple[int, str]:
    hashed = hashlib.sha256()
    for row in rows:
        hashed.update(repr(row).encode())
    return len(rows), hashed.hexdigest()


def execute(env: dict[str, str], sql: str) -> None:
    url = env.get("REFERLY_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            connection.execute(sql)
        return
    with closing(sqlite3.connect(env["REFERLY_DB"])) as connection, connection:
        connection.execute(sql)


def backup_name() -> str:
    return "referly.dump" if on_postgres() else "referly-backup.db"


def one_error(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """The command failed with ``code`` and one sentence holding ``words``, no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code and len(lines) == 1 and lines[0].startswith("Error: "), done.stdout + done.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_a_backup_restored_into_a_fresh_database_has_every_table_and_every_row(
    run_referly: RunCli, scratch_database: dict[str, str], fresh_database: dict[str, str], tmp_path: Path
) -> None:
    fill(run_referly, scratch_database)
    source = every_table(scratch_database)
    assert source["crm_interaction"][0] > 0 and source["jobs_jobrun"][0] == 5 and len(source) > 50
    out = backup_name()

    taken = run_referly("backup", "--out", out, env=scratch_database)
    assert taken.returncode == 0, taken.stderr
    assert f"to {out}" in taken.stdout
    one_error(run_referly("backup", "--out", out, env=scratch_database), 4, f"{out} already exists", "--force")
    again = run_referly("backup", "--out", out, "--force", env=scratch_database)
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob("*.partial"))

    restored = run_referly("restore", out, env=fresh_database)  # nothing to replace: no --yes needed
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout and "kept" not in restored.stdout
    assert every_table(fresh_database) == source

    # Restored again over a database holding data: the data it replaces is kept first.
    execute(fresh_database, "DELETE FROM jobs_jobrun")
    over = run_referly("restore", out, "--yes", env=fresh_database)
    assert over.returncode == 0, over.stderr
    assert "What it replaced is kept in" in over.stdout
    kept = list(tmp_path.glob("*before-restore-*"))
    assert len(kept) == 1, kept
    assert every_table(fresh_database) == source
    added = run_referly("job", "add", "score", env=fresh_database)  # the id sequences came back too
    assert added.returncode == 0 and "Job 6 (score) queued" in added.stdout, added.stderr


def test_restore_refuses_a_file_that_is_not_a_backup_or_is_newer_and_changes_nothing(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path
) -> None:
    fill(run_referly, scratch_database)
    execute(
        scratch_database,
        "INSERT INTO django_migrations (app, name, applied) VALUES ('crm', '9999_later', '2027-01-01')",
    )
    future = "future-" + backup_name()
    assert run_referly("backup", "--out", future, env=scratch_database).returncode == 0
    execute(scratch_database, "DELETE FROM django_migrations WHERE name = '9999_later'")
    (tmp_path / "notes.txt").write_text("not a database\n")
    before = every_table(scratch_database)
    files = sorted(p.name for p in tmp_path.iterdir())

    one_error(run_referly("restore", "notes.txt", "--yes", env=scratch_database), 2, "notes.txt is not a")
    one_error(
        run_referly("restore", future, "--yes", env=scratch_database),
        2,
        f"{future} was written by a newer Referly",
        "crm.9999_later",
    )
    one_error(run_referly("restore", "missing.db", "--yes", env=scratch_database), 3, "No backup at missing.db")
    current = backup_name()
    assert run_referly("backup", "--out", current, env=scratch_database).returncode == 0
    refused = run_referly("restore", current, env=scratch_database)  # the database holds data: --yes is needed
    one_error(refused, 4, "would replace", "--yes")

    assert every_table(scratch_database) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*files, current])


def test_a_missing_pg_dump_is_said_in_one_sentence(run_referly: RunCli, tmp_path: Path) -> None:
    python_only = {
        "PATH": str(Path(sys.executable).parent),
        "REFERLY_DATABASE_URL": "postgresql://referly@127.0.0.1:9/referly",
    }
    done = run_referly("backup", "--out", "referly.dump", env=python_only)
    one_error(done, 6, "pg_dump is not installed", "postgresql-client")
    assert list(tmp_path.iterdir()) == []


# Inserts n = 1, 2, 3 … into two tables, both in one transaction, until the file STOP appears.
WRITER = """
import pathlib, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
n = 0
while not pathlib.Path("STOP").exists():
    n += 1
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO probe_a (n) VALUES (?)", (n,))
    connection.execute("INSERT INTO probe_b (n) VALUES (?)", (n,))
    connection.execute("COMMIT")
"""


@pytest.mark.skipif(on_postgres(), reason="SQLite's online backup; pg_dump's consistency is PostgreSQL's own")
def test_a_backup_taken_while_a_process_writes_is_whole_and_holds_a_consistent_prefix(
    run_referly: RunCli, tmp_path: Path
) -> None:
    database = tmp_path / "referly.db"
    made = run_referly("demo-data", "--scale", "tiny", "--seed", "5", "--until", "2026-11-01", "--db", str(database))
    assert made.returncode == 0, made.stderr
    env = {"REFERLY_DB": str(database)}
    execute(env, "CREATE TABLE probe_a (n INTEGER PRIMARY KEY)")
    execute(env, "CREATE TABLE probe_b (n INTEGER PRIMARY KEY)")

    def written() -> int:
        return int(query(env, "SELECT COUNT(*) FROM probe_a")[0][0])

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(database)], cwd=tmp_path)
    try:
        waited = time.monotonic()
        while written() < 50:
            assert writer.poll() is None and time.monotonic() - waited < 120, "the writer does not write"
            time.sleep(0.05)
        at_start = written()
        taken = run_referly("backup", "--out", "copy.db", "--db", str(database))
        at_end = written()
    finally:
        (tmp_path / "STOP").touch()
        writer.wait(timeout=60)
    assert taken.returncode == 0 and "integrity checked" in taken.stdout, taken.stderr
    assert writer.returncode == 0 and written() > at_end  # the writer went on during and after the backup

    from django.db.backends.sqlite3._functions import register

    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        register(copy)
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        a = [r[0] for r in copy.execute("SELECT n FROM probe_a ORDER BY n")]
        b = [r[0] for r in copy.execute("SELECT n FROM probe_b ORDER BY n")]
        interactions = copy.execute("SELECT COUNT(*) FROM crm_interaction").fetchone()[0]
    assert a == b == list(range(1, len(a) + 1))  # every transaction whole, none missing before the last
    assert at_start <= len(a) <= at_end
    assert interactions == query(env, "SELECT COUNT(*) FROM crm_interaction")[0][0]


@pytest.mark.skipif(on_postgres(), reason="SQLite's backup writes the file itself; pg_dump is tested above")
def test_a_backup_killed_half_way_leaves_no_file_under_its_name(run_referly: RunCli, tmp_path: Path) -> None:
    database = tmp_path / "referly.db"
    assert run_referly("init", "--db", str(database)).returncode == 0
    env = {"REFERLY_DB": str(database)}
    # A connection holding SQLite's exclusive lock keeps the backup waiting half way, its file begun.
    with closing(sqlite3.connect(database, isolation_level=None)) as holder:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE held (n INTEGER)")
        backup = start_referly("backup", "--out", "copy.db", env=env, cwd=tmp_path)
        waited = time.monotonic()
        while not list(tmp_path.glob("copy.db.*.partial")):
            assert backup.poll() is None and time.monotonic() - waited < 120, "the backup did not begin"
            time.sleep(0.05)
        os.kill(backup.pid, signal.SIGKILL)
        backup.wait(timeout=60)
        holder.execute("ROLLBACK")
    assert not (tmp_path / "copy.db").exists()

    for partial in tmp_path.glob("copy.db.*.partial"):  # what the guide says to do with a left-over
        partial.unlink()
    again = run_referly("backup", "--out", "copy.db", env=env)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "copy.db").stat().st_size > 0


MIGRATIONS = st.tuples(
    st.sampled_from(["crm", "jobs", "auth", "portal"]), st.from_regex(r"0[0-9]{3}_[a-z_]{1,12}", fullmatch=True)
)


@given(st.sets(MIGRATIONS, min_size=1), st.data())
def test_a_copy_passes_when_the_code_knows_all_its_migrations_and_names_the_first_it_does_not(
    known: set[tuple[str, str]], data: st.DataObject
) -> None:
    applied = data.draw(st.sets(st.sampled_from(sorted(known)))) | {("crm", "0001_initial")}
    check_applied("copy.db", applied, known | {("crm", "0001_initial")})  # an older copy, or the same version
    newer = data.draw(MIGRATIONS.filter(lambda m: m not in known and m != ("crm", "0001_initial")))
    with pytest.raises(InvalidInput) as refused:
        check_applied("copy.db", applied | {newer}, known | {("crm", "0001_initial")})
    assert "written by a newer Referly" in str(refused.value) and f"{newer[0]}.{newer[1]}" in str(refused.value)
    with pytest.raises(InvalidInput, match="not a Referly database"):
        check_applied("copy.db", None, known)


@pytest.fixture
def database_of_its_own_role(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """A PostgreSQL database where the app's role owns its tables, not the database: its settings, the admin's."""
    import psycopg

    base = os.environ["REFERLY_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"referly_owned_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {name}")
        admin.execute(f"CREATE ROLE {name} LOGIN")
        admin.execute(f"CREATE DATABASE {name}")  # owned by the admin, as a managed server gives it
    with psycopg.connect(f"{base}/{name}", autocommit=True) as admin:
        admin.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {name}")
    host = base.rsplit("@", 1)[1]
    yield {"REFERLY_DATABASE_URL": f"postgresql://{name}@{host}/{name}"}, {"REFERLY_DATABASE_URL": f"{base}/{name}"}
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {name}")


@pytest.mark.skipif(not on_postgres(), reason="the restore in one transaction is PostgreSQL's; SQLite's is a rename")
def test_a_postgres_restore_that_fails_half_way_leaves_the_database_as_it_was(
    run_referly: RunCli, database_of_its_own_role: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    app, admin = database_of_its_own_role
    assert run_referly("job", "add", "score", env=app).returncode == 0
    assert run_referly("backup", "--out", "referly.dump", env=app).returncode == 0
    assert run_referly("job", "add", "review-reminder", env=app).returncode == 0
    # A table the app's role may read (and dump) but does not own, so cannot drop: the restore fails once begun.
    # (The owner of the schema could drop it: on a database the app's role owns, the restore would succeed.)
    execute(admin, "CREATE TABLE public.kept_by_the_admin (n integer)")
    execute(admin, "INSERT INTO public.kept_by_the_admin VALUES (1)")
    execute(admin, f"GRANT SELECT ON public.kept_by_the_admin TO {app['REFERLY_DATABASE_URL'].rsplit('/', 1)[1]}")
    before = every_table(admin)

    failed = run_referly("restore", "referly.dump", "--yes", env=app)
    one_error(failed, 6, "psql failed", "must be owner", "nothing was changed", "before-restore-")
    assert every_table(admin) == before
    assert before["jobs_job"][0] == 2  # the job added after the backup is still there
