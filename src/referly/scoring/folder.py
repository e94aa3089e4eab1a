"""The system of record as a folder of Parquet files: scoring at a scale no single database file holds.

The folder has one file per table (``accounts.parquet``, ``contacts.parquet``, ``signals.parquet``,
``connections.parquet``, ``opportunities.parquet``, ``asks.parquet``, ``referrals.parquet``,
``teammates.parquet``, ``employment.parquet``) with the columns of the tables they come from, and the
events under ``interactions/*.parquet`` (contact_id, teammate_id, kind, occurred_at): the layout
`referly demo-data --scale enterprise` writes and a warehouse export can produce.

DuckDB reads the files where they are: the events are reduced straight from the files (only one row
per pair comes back into memory) and the former-colleague ties are derived from the employment
histories with one range join, by the same rule as ``referly.crm.colleagues`` (overlap of at least
90 days, not both still there; confidence from 0.3 to 0.8 at three years). The results are written
back as Parquet files, one per score table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from referly.crm.colleagues import FULL_OVERLAP_DAYS, MIN_OVERLAP_DAYS
from referly.crm.lifecycle import Lifecycle, lifecycle_in
from referly.errors import InvalidInput, Unavailable
from referly.kit.sql import sql_text
from referly.scoring.config import StrengthSettings
from referly.scoring.context import Inputs
from referly.scoring.pipeline import Results
from referly.scoring.strength import PairState, reduction_sql

TABLES = (
    "teammates",
    "accounts",
    "contacts",
    "signals",
    "connections",
    "opportunities",
    "asks",
    "referrals",
    "employment",
)


def events_source(files: list[str]) -> str:
    """The event files as the reduction reads them: (a = teammate, b = contact, kind, ts in epoch seconds)."""
    listed = ", ".join(sql_text(f) for f in files)
    return (
        "(SELECT teammate_id::BIGINT AS a, contact_id::BIGINT AS b, kind::TINYINT AS kind, "
        f"epoch_ms(occurred_at) // 1000 AS ts FROM read_parquet([{listed}]))"
    )


def event_files(paths: list[Path]) -> list[str]:
    """Every Parquet file named, a folder standing for the files in it."""
    files = [str(f) for p in paths for f in (sorted(p.glob("*.parquet")) if p.is_dir() else [p])]
    if not files:
        raise InvalidInput(f"No Parquet event files in {', '.join(str(p) for p in paths)}")
    return files


def reduce_files(
    files: list[str], as_of: int, settings: StrengthSettings, engine: str | None = None, master: str | None = None
) -> PairState:
    """The event-level reduction run over the files themselves, by ``engine`` (default REFERLY_EVENTS_ENGINE)."""
    from referly import config

    engine = (engine or config.EVENTS_ENGINE.value()).strip().lower()
    if engine == "spark":
        from referly.scoring.spark import reduce_on_spark

        return reduce_on_spark(files, as_of, settings, master=master)
    if engine != "duckdb":
        raise Unavailable(f"REFERLY_EVENTS_ENGINE={engine!r}: the engines are duckdb and spark")
    con = duckdb.connect()
    try:
        table = con.sql(reduction_sql(events_source(files), as_of, settings.half_life_days)).to_arrow_table()
    except duckdb.Error as exc:
        raise InvalidInput(f"Cannot read the event files: {exc}") from None
    finally:
        con.close()
    return PairState(as_of, table)


def require_tables(folder: Path) -> None:
    missing = [name for name in TABLES if not (folder / f"{name}.parquet").is_file()]
    if missing:
        raise InvalidInput(f"{folder} has no {', '.join(f'{m}.parquet' for m in missing)}")


def folder_inputs(folder: Path, today: date) -> Inputs:
    """Every table of the folder, shaped as ``referly.scoring.store.load_inputs`` shapes the database's."""
    require_tables(folder)
    con = duckdb.connect()
    try:
        for name in TABLES:
            con.sql(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({sql_text(folder / f'{name}.parquet')})")
        return _inputs(con, today)
    except duckdb.Error as exc:
        raise InvalidInput(f"{folder}: a table lacks a column the scoring needs ({exc})") from None
    finally:
        con.close()


def _inputs(con: duckdb.DuckDBPyConnection, today: date) -> Inputs:
    def table(sql: str) -> pa.Table:
        return con.sql(sql).to_arrow_table()

    def optional(name: str, column: str, otherwise: str) -> str:
        present = column in con.sql(f"SELECT * FROM {name} LIMIT 0").columns
        return column if present else f"{otherwise} AS {column}"

    day = "(({c}) - DATE '1970-01-01')::BIGINT"
    empty_events = pa.table(
        {
            "a": pa.array([], pa.int64()),
            "b": pa.array([], pa.int64()),
            "kind": pa.array([], pa.int8()),
            "ts": pa.array([], pa.int64()),
        }
    )
    return Inputs(
        events=empty_events,
        teammates=table("SELECT id, name, role FROM teammates"),
        accounts=table(
            "SELECT id, name, industry, employees::BIGINT AS employees, annual_revenue::DOUBLE AS annual_revenue, "
            f"country, lifecycle, {day.format(c='client_since')} AS client_day, "
            f"{optional('accounts', 'custom', 'NULL::VARCHAR')} FROM accounts"
        ),
        contacts=table(
            "SELECT id, account_id, first_name, last_name, title, seniority, role, "
            "coalesce(do_not_contact, false) AS do_not_contact, coalesce(opted_out_of_asks, false) AS opted_out "
            "FROM contacts"
        ),
        signals=table(
            f"SELECT account_id, contact_id::BIGINT AS contact_id, kind, {day.format(c='occurred_on')} AS day, "
            f"nps_score::BIGINT AS nps_score, detail, {day.format(c='resolved_on')} AS resolved_day FROM signals"
        ),
        connections=connection_ties(con, today),
        opportunities=table(
            "SELECT account_id::BIGINT AS account_id, stage FROM opportunities "
            "WHERE stage NOT IN ('won', 'lost') AND account_id IS NOT NULL"
        ),
        asks=table(
            "SELECT contact_id::BIGINT AS contact_id, account_id::BIGINT AS account_id, "
            "epoch(asked_at)::BIGINT AS asked_ts, outcome, epoch(outcome_at)::BIGINT AS outcome_ts FROM asks"
        ),
        referrals=table(
            "SELECT referrer_contact_id::BIGINT AS referrer_contact_id, "
            "target_account_id::BIGINT AS target_account_id, stage FROM referrals"
        ),
    )


def connection_ties(con: duckdb.DuckDBPyConnection, today: date) -> pa.Table:
    """The ties a warm path can take (one end at a client account, the other at a prospect): declared ones,
    and former colleagues derived from the employment histories (client-side jobs against prospect-side jobs,
    which is about a third of the pairs the histories hold). Kind and provenance are dictionary-encoded:
    millions of former colleagues share one kind and a few thousand company names."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE sides AS {_SIDES_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE stints AS {_stints_sql(today)}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE company_names AS SELECT company_name, "
        "row_number() OVER (ORDER BY company_name) AS name_rank FROM (SELECT DISTINCT company_name FROM stints)"
    )
    names = con.sql(
        "SELECT left('Worked together at ' || company_name, 255) AS provenance FROM company_names ORDER BY name_rank"
    ).to_arrow_table()
    colleagues = con.sql(_colleagues_sql()).to_arrow_table()
    declared = con.sql(
        """SELECT from_contact_id::BIGINT AS from_id, to_contact_id::BIGINT AS to_id, kind,
                  confidence::DOUBLE AS confidence, provenance
           FROM connections JOIN sides f ON f.id = from_contact_id JOIN sides o ON o.id = to_contact_id
           WHERE to_contact_id IS NOT NULL AND kind <> 'former_colleagues' AND f.client <> o.client"""
    ).to_arrow_table()
    text = pa.dictionary(pa.int32(), pa.string())
    former = pa.table(
        {
            "from_id": colleagues.column("from_id"),
            "to_id": colleagues.column("to_id"),
            "kind": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(colleagues.num_rows, dtype=np.int32)), pa.array(["former_colleagues"])
            ),
            "confidence": colleagues.column("confidence"),
            "provenance": pa.DictionaryArray.from_arrays(
                pc.subtract(colleagues.column("name_rank"), 1).cast(pa.int32()).combine_chunks(),
                names.column("provenance").combine_chunks(),
            ),
        }
    )
    declared = declared.cast(pa.schema([(f.name, text if f.type == pa.string() else f.type) for f in declared.schema]))
    return pa.concat_tables([declared, former])


_SIDES_SQL = f"""
SELECT c.id, {lifecycle_in("a.lifecycle", Lifecycle.CLIENT)} AS client
FROM contacts c JOIN accounts a ON a.id = c.account_id
WHERE {lifecycle_in("a.lifecycle", Lifecycle.CLIENT, Lifecycle.PROSPECT)}
"""


def _stints_sql(today: date) -> str:
    """Jobs in days since 1970, only those long enough to share the minimum overlap."""
    return f"""
SELECT contact_id, sides.client, company_key, coalesce(company_name, '') AS company_name,
       (started_on - DATE '1970-01-01')::INTEGER AS s,
       (coalesce(ended_on, DATE '{today.isoformat()}') - DATE '1970-01-01')::INTEGER AS e,
       ended_on IS NULL AS current
FROM employment JOIN sides ON sides.id = employment.contact_id
WHERE company_key IS NOT NULL AND company_key <> '' AND started_on IS NOT NULL
  AND coalesce(ended_on, DATE '{today.isoformat()}') - started_on >= {MIN_OVERLAP_DAYS}
"""


def _colleagues_sql() -> str:
    """Per (client-side, prospect-side) pair: the confidence of their best shared stint and its company's rank.

    The overlap >= the minimum is written as two join conditions so that the range join applies it; a
    pair's best stint is one number: the longest overlap, then the name last in alphabetical order."""
    span = FULL_OVERLAP_DAYS - MIN_OVERLAP_DAYS
    return f"""
WITH jobs AS (SELECT stints.*, n.name_rank FROM stints JOIN company_names n USING (company_name)),
best AS (
    SELECT a.contact_id AS from_id, b.contact_id AS to_id,
           max((least(a.e, b.e) - greatest(a.s, b.s))::BIGINT * 4294967296 + a.name_rank) AS stint
    FROM (SELECT * FROM jobs WHERE client) a JOIN (SELECT * FROM jobs WHERE NOT client) b
      ON a.company_key = b.company_key AND a.s + {MIN_OVERLAP_DAYS} <= b.e AND b.s + {MIN_OVERLAP_DAYS} <= a.e
    WHERE NOT (a.current AND b.current)
    GROUP BY from_id, to_id
)
SELECT from_id::BIGINT AS from_id, to_id::BIGINT AS to_id,
       round(0.3 + 0.5 * (least(stint // 4294967296, {FULL_OVERLAP_DAYS}) - {MIN_OVERLAP_DAYS}) / {span}, 4)
           AS confidence,
       stint % 4294967296 AS name_rank
FROM best
"""


def write_results(results: Results, out: Path) -> dict[str, int]:
    """The run's score tables as Parquet files under ``out``; returns rows written per table."""
    out.mkdir(parents=True, exist_ok=True)
    actions = results.actions
    tables = {
        "relationship_strength": results.strengths,
        "account_fit": results.fit,
        "sponsor_scores": results.sponsors,
        "next_best_actions": actions,
        "recovery": results.recovery,
    }
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet")
    return {name: table.num_rows for name, table in tables.items()}
