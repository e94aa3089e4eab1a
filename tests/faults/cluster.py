"""A throwaway PostgreSQL cluster of the test's own, on a free loopback port, that the test may restart.

The suite's PostgreSQL server is shared and never restarted: this cluster is made with ``initdb`` in a
scratch folder and started with ``pg_ctl``. PostgreSQL refuses to run as root, so under root its programs
run as the ``postgres`` system user, in a folder that user owns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import free_port


def server_programs() -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), the newest installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are missing: CI installs the postgresql package")
    pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")


def as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class Cluster:
    programs: Path
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=60"
        program = [*as_server_user(), str(self.programs / "pg_ctl"), "-D", str(self.data)]
        done = subprocess.run(
            [*program, "-l", str(self.folder / "log"), "-w", "-t", "60", "-o", options, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"pg_ctl {' '.join(args)}: {done.stdout}{done.stderr}{self.log()}"

    def log(self) -> str:
        path = self.folder / "log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def restart(self) -> None:
        """Stop the server at once (``-m fast``: open transactions are rolled back, clients cut off), start it again."""
        self.pg_ctl("restart", "-m", "fast")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def start_cluster() -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix="referly-cluster-"))
    user = as_server_user()
    if user:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(server_programs(), folder, free_port())
    made = subprocess.run(
        [*user, str(cluster.programs / "initdb"), "-N", "-D", str(cluster.data), "-U", "postgres", "--auth=trust"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    cluster.pg_ctl("start")
    return cluster


def remove_cluster(cluster: Cluster) -> None:
    subprocess.run(
        [*as_server_user(), str(cluster.programs / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"],
        capture_output=True,
        check=False,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
