"""Shared fixtures: personas, record factories and ways to run the `referly` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
# No test may depend on wall-clock speed: hypothesis' per-example deadline is off everywhere.
settings.register_profile("referly", deadline=None)
settings.load_profile("referly")
RunCli = Callable[..., subprocess.CompletedProcess[str]]


def on_postgres() -> bool:
    return os.environ.get("REFERLY_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


DATABASE_FIXTURES = frozenset({"db", "transactional_db", "live_server", "scratch_database", "django_db_setup"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``database_free`` gives the same answer on every database: the PostgreSQL run leaves it
    to the SQLite run. The mark is refused on a test that asks for a database."""
    free = [item for item in items if item.get_closest_marker("database_free")]
    for item in free:
        if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            raise pytest.UsageError(f"{item.nodeid} is marked database_free but asks for a database")
    if free and on_postgres():
        config.hook.pytest_deselected(items=free)
        items[:] = [item for item in items if not item.get_closest_marker("database_free")]


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """A page asked in French leaves French active in the thread (Django's locale middleware does not reset
    it): each test starts from the default language, whatever ran before."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run `referly ARGS` in this process, against the test database."""
    from referly.cli import main

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def run_referly(tmp_path: Path) -> RunCli:
    """Run `python -m referly ARGS` as a separate process, as a user would, in a scratch folder.

    The process sees no REFERLY_* variable unless the test passes it, so it never touches the
    suite's own database.
    """

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
        clean.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "referly", *args],
            capture_output=True,
            text=True,
            cwd=cwd or tmp_path,
            env=clean,
            timeout=900,
            check=False,
        )

    return run


def scratch_settings(folder: Path, prefix: str) -> Iterator[dict[str, str]]:
    """REFERLY_* settings naming a database of its own: a SQLite file in ``folder``, or a fresh PostgreSQL one."""
    if not on_postgres():
        yield {"REFERLY_DB": str(folder / f"{prefix}.db")}
        return
    import psycopg

    base = os.environ["REFERLY_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"referly_{prefix}_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    yield {"REFERLY_DATABASE_URL": f"{base}/{name}"}
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database of its own for processes started by the test: a SQLite file, or a fresh PostgreSQL one."""
    yield from scratch_settings(tmp_path, "scratch")


@pytest.fixture
def datasets() -> Path:
    """The shared public datasets (REFERLY_DATASETS, default ../shared/datasets from the repository)."""
    configured = os.environ.get("REFERLY_DATASETS")
    folder = Path(configured) if configured else ROOT.parent / "shared" / "datasets"
    if not (folder / "maven-crm").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the shared datasets are missing at {folder}; CI needs them")
        pytest.skip(f"the shared datasets are not at {folder} (set REFERLY_DATASETS)")
    return folder


@pytest.fixture
def alice(db: Any) -> Any:
    """Alice, an account executive."""
    from tests.factories import make_teammate

    return make_teammate("Alice Martin", role="ae")


@pytest.fixture
def team(db: Any) -> Any:
    """Logins of every role: Ada (admin), Maya (manager of Mo), Mo and Olga (members), Vic (viewer)."""
    from tests.personas import make_team

    return make_team()
