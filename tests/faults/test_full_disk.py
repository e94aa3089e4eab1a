"""A disk that fills up under an import (SQLite): one sentence, nothing half-written, and a rerun completes.

Two ways to run out of room: a small tmpfs the database lives on (where the test may mount one), and a
limit on the size of the files the import may write (``ulimit -f``), which any user may set.
"""

from __future__ import annotations

import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.db.backends.sqlite3._functions import register as django_functions  # type: ignore[import-untyped]

from tests.conftest import on_postgres
from tests.faults.conftest import Undisturbed, referly
from tests.faults.records import holdings
from tests.jobs.scratch import process_env

pytestmark = pytest.mark.skipif(
    on_postgres(), reason="the disk under PostgreSQL is the server's, shared by the suite: SQLite's file is ours"
)
ROOM = 512 * 1024  # bytes the import may add: far less than the export needs


@pytest.fixture
def small_disk(scratch: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[], None]]]:
    """The scratch database moved to a tmpfs with little room left, and how to make room."""
    mount = tmp_path / "disk"
    mount.mkdir()
    database = Path(scratch["REFERLY_DB"])
    size = database.stat().st_size + ROOM
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}): the file size limit covers it")
    try:
        shutil.copyfile(database, mount / database.name)

        def make_room() -> None:
            subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)

        yield {"REFERLY_DB": str(mount / database.name)}, make_room
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_an_import_onto_a_full_disk_says_so_keeps_nothing_and_completes_once_there_is_room(
    small_disk: tuple[dict[str, str], Callable[[], None]], small_export: Path, undisturbed: Undisturbed, tmp_path: Path
) -> None:
    env, make_room = small_disk
    full = referly("import", str(small_export), env=env, cwd=tmp_path)
    _refused_whole(full, env, "is full (no space left)")
    make_room()
    _completes(env, small_export, undisturbed, tmp_path, "full disk (tmpfs)")


def test_an_import_past_the_file_size_limit_says_so_keeps_nothing_and_completes_without_the_limit(
    scratch: dict[str, str], small_export: Path, undisturbed: Undisturbed, tmp_path: Path
) -> None:
    env = scratch
    limit = Path(env["REFERLY_DB"]).stat().st_size + ROOM

    def size_limited() -> None:  # as `ulimit -f`: writing past the limit fails instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run(
        [sys.executable, "-m", "referly", "import", str(small_export)],
        env=process_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=size_limited,
        check=False,
    )
    _refused_whole(full, env, "disk full")
    _completes(env, small_export, undisturbed, tmp_path, "file size limit")


def _refused_whole(done: subprocess.CompletedProcess[str], env: dict[str, str], words: str) -> None:
    """The import failed with one sentence, and the database is readable and holds nothing of it."""
    assert done.returncode == 6, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(said) == 1, done.stderr
    assert words in said[0] and "nothing of it was kept" in said[0] and "make room" in said[0], said[0]
    with closing(sqlite3.connect(env["REFERLY_DB"])) as database:
        django_functions(database)  # the tables' CHECK constraints call them
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert set(holdings(env).counts.values()) == {0}


def _completes(env: dict[str, str], export: Path, undisturbed: Undisturbed, cwd: Path, fault: str) -> None:
    again = referly("import", str(export), env=env, cwd=cwd)
    assert again.returncode == 0, again.stdout + again.stderr
    expected = undisturbed(export)
    assert holdings(env) == expected
    print(f"\n{fault}: {expected.rows:,} rows compared, 0 lost, 0 doubled")
