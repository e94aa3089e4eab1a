"""`referly score --engine spark` on a real Spark standalone cluster scores a folder as DuckDB does.

A master and two workers run as processes of their own (``tests/spark_cluster.py``); the tiny demo
company, written as a Parquet export, is scored twice by `referly score --folder`, once with the
events reduced on the cluster and once by DuckDB: every score table agrees (numbers within 1e-9,
relative, the engines' documented tolerance), and the master saw the application run on both
workers. Skipped only where Java is missing, and a failure then under CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result

from referly.ingest.demo import DemoContext, volumes_for
from referly.ingest.demo.parquet import write_enterprise
from tests.conftest import RunCli
from tests.spark_cluster import StandaloneCluster, free_port, java_found, standalone_cluster

pytestmark = pytest.mark.database_free  # a folder of Parquet files in, Parquet files out
UNTIL = date(2026, 11, 1)
TABLES = {
    "relationship_strength": ["a", "b"],
    "sponsor_scores": ["contact_id"],
    "next_best_actions": ["rank"],
}


def _require_spark() -> None:
    missing = [] if java_found() else ["Java 17+"]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("PySpark (pip install 'referly[spark]')")
    if missing:
        reason = f"A Spark cluster needs {' and '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_enterprise(DemoContext(volumes_for("tiny"), 3, UNTIL), folder, lambda name, rows: None)
    return folder


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    _require_spark()
    with standalone_cluster(
        tmp_path_factory.mktemp("spark"), workers=2, cores=1, memory="1g", timeout=300, quick_start=True
    ) as found:
        yield found


def _score(run_referly: RunCli, export: Path, out: Path, *options: str, env: dict[str, str] | None = None) -> None:
    args = ("score", "--folder", str(export), "--as-of", UNTIL.isoformat(), "--out", str(out), *options)
    done = run_referly(*args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "score tables in" in done.stdout


def _assert_same(found: pa.Table, expected: pa.Table, name: str) -> None:
    assert found.schema.names == expected.schema.names, name
    assert found.num_rows == expected.num_rows > 0, name
    for column in found.schema.names:
        f, e = found.column(column), expected.column(column)
        if pa.types.is_floating(f.type):
            assert np.allclose(f.to_numpy(), e.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True), (name, column)
        else:
            assert f.to_pylist() == e.to_pylist(), (name, column)


@pytest.mark.slow
def test_the_cluster_reduces_the_events_and_the_scores_equal_duckdbs(
    cluster: StandaloneCluster, export: Path, run_referly: RunCli, tmp_path: Path
) -> None:
    on_spark, on_duckdb = tmp_path / "on-spark", tmp_path / "on-duckdb"
    _score(
        run_referly,
        export,
        on_spark,
        "--engine",
        "spark",
        "--spark-master",
        cluster.master_url,
        env=cluster.driver_env(),
    )
    _score(run_referly, export, on_duckdb, "--engine", "duckdb")

    for name, keys in TABLES.items():
        found = pq.read_table(on_spark / f"{name}.parquet").sort_by([(k, "ascending") for k in keys])
        expected = pq.read_table(on_duckdb / f"{name}.parquet").sort_by([(k, "ascending") for k in keys])
        _assert_same(found, expected, name)

    # The reduction ran on the cluster: the master lists the application, finished, with a core of each worker.
    apps = [a for a in cluster.status()["completedapps"] if a["name"] == "referly"]
    assert len(apps) == 1
    assert apps[0]["cores"] == 2


@pytest.mark.slow
def test_a_master_that_does_not_answer_is_one_clear_error(export: Path, run_referly: RunCli, tmp_path: Path) -> None:
    _require_spark()
    master = f"spark://127.0.0.1:{free_port()}"
    done = run_referly(
        "score", "--folder", str(export), "--out", str(tmp_path), "--engine", "spark", "--spark-master", master
    )
    assert done.returncode == 6, done.stdout + done.stderr
    assert f"The Spark master {master} does not answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_engine_goes_with_a_folder(cli: Callable[..., Result]) -> None:
    result = cli("score", "--engine", "spark")
    assert result.exit_code == 2
    assert "--engine and --spark-master go with --folder" in result.output
