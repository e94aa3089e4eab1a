"""The event reduction gives the same per-pair features on every engine it runs on.

One fixture of events (with sub-second times, every kind, and events after the scoring moment that
must be left out) is reduced by DuckDB from a Parquet file, by Spark (local mode) from the same file,
and by the database the suite runs on (SQLite or PostgreSQL) from a table: every column agrees within
1e-9, relative.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection

from referly.scoring.config import load_settings
from referly.scoring.folder import reduce_files
from referly.scoring.strength import SUMS, PairState, reduction_sql

AS_OF = 1_780_000_000
COLUMNS = ["a", "b", *SUMS, "touches", "first_ts", "last_ts"]


@pytest.fixture(scope="module")
def events() -> pa.Table:
    rng = np.random.default_rng(20261124)
    n = 30_000
    ms = rng.integers((AS_OF - 3 * 365 * 86_400) * 1000, (AS_OF + 20 * 86_400) * 1000, n)
    return pa.table(
        {
            "contact_id": pa.array(rng.integers(1, 800, n), pa.int64()),
            "teammate_id": pa.array(rng.integers(1, 15, n).astype(np.int32), pa.int32()),
            "kind": pa.array(rng.integers(1, 6, n).astype(np.int8), pa.int8()),
            "occurred_at": pa.array(ms, pa.timestamp("ms", tz="UTC")),
        }
    )


@pytest.fixture(scope="module")
def event_file(events: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("events") / "part-00000.parquet"
    pq.write_table(events, path)
    return str(path)


@pytest.fixture(scope="module")
def on_duckdb(event_file: str) -> pa.Table:
    state = reduce_files([event_file], AS_OF, load_settings(stored=False).strength)
    return _sorted(state)


def _sorted(state: PairState) -> pa.Table:
    return state.table.sort_by([("a", "ascending"), ("b", "ascending")])


def _assert_same(found: pa.Table, expected: pa.Table) -> None:
    assert found.num_rows == expected.num_rows > 1_000
    for name in COLUMNS:
        f = found.column(name).to_numpy().astype(np.float64)
        e = expected.column(name).to_numpy().astype(np.float64)
        assert np.allclose(f, e, rtol=1e-9, atol=0), name


def test_events_after_the_scoring_moment_are_left_out(on_duckdb: pa.Table) -> None:
    assert max(on_duckdb.column("last_ts").to_pylist()) < AS_OF
    assert min(on_duckdb.column("d_out").to_pylist()) >= 0


@pytest.mark.django_db
def test_the_database_reduces_the_fixture_as_duckdb_does(events: pa.Table, on_duckdb: pa.Table) -> None:
    ms = events.column("occurred_at").cast(pa.int64()).to_numpy()
    rows = zip(
        events.column("teammate_id").to_pylist(),
        events.column("contact_id").to_pylist(),
        events.column("kind").to_pylist(),
        (ms // 1000).tolist(),
        strict=True,
    )
    dialect = "sqlite" if connection.vendor == "sqlite" else "postgres"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE referly_fixture_events (a BIGINT, b BIGINT, kind SMALLINT, ts BIGINT)")
        cursor.executemany("INSERT INTO referly_fixture_events VALUES (%s, %s, %s, %s)", list(rows))
        cursor.execute(
            reduction_sql(
                "referly_fixture_events", AS_OF, load_settings(stored=False).strength.half_life_days, dialect=dialect
            )
        )
        fetched = cursor.fetchall()
    table = pa.table({name: [row[i] for row in fetched] for i, name in enumerate(COLUMNS)})
    _assert_same(_sorted(PairState(AS_OF, table)), on_duckdb)


@pytest.mark.slow
@pytest.mark.database_free
def test_spark_reduces_the_same_file_as_duckdb_does(
    event_file: str, on_duckdb: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("PySpark is not installed (pip install 'referly[spark]')")
    monkeypatch.setenv("REFERLY_EVENTS_ENGINE", "spark")
    monkeypatch.setenv("REFERLY_SPARK_MASTER", "local[2]")
    state = reduce_files([event_file], AS_OF, load_settings(stored=False).strength)
    _assert_same(_sorted(state), on_duckdb)
    assert state.table.schema.field("d_out").type == pa.float64()
    assert state.table.schema.field("touches").type == pa.int64()


def test_an_unknown_engine_is_one_clear_error(event_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from referly.errors import Unavailable

    monkeypatch.setenv("REFERLY_EVENTS_ENGINE", "hadoop")
    with pytest.raises(Unavailable, match="the engines are duckdb and spark"):
        reduce_files([event_file], AS_OF, load_settings(stored=False).strength)


def test_every_engine_gets_the_same_reduction_in_its_own_dialect() -> None:
    rendered = {d: reduction_sql("events", AS_OF, 30.0, dialect=d) for d in ("duckdb", "sqlite", "postgres", "spark")}
    assert "DOUBLE PRECISION" in rendered["postgres"]
    assert "REAL" in rendered["sqlite"]
    assert "PRECISION" not in rendered["spark"]
    assert all(f"ts < {AS_OF}" in sql for sql in rendered.values())
