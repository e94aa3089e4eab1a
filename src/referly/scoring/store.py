"""The edge of the engine: read the system of record into Arrow, write a run's results back in bulk."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from django.db import connection

from referly.crm.lifecycle import Lifecycle, lifecycle_in
from referly.kit.bulk import insert_rows
from referly.scoring.config import StrengthSettings
from referly.scoring.context import Inputs
from referly.scoring.models import (
    AccountFit,
    NextBestAction,
    RecoveryItem,
    RelationshipStrength,
    ScoreRun,
    SponsorScore,
)
from referly.scoring.pipeline import Results
from referly.scoring.reduction_sqlite import sqlite_reduction_runs, sqlite_reduction_sql
from referly.scoring.strength import PAIR_COLUMNS, SUMS, PairState, reduction_sql


def epoch_sql(column: str) -> str:
    """SQL for a timestamp column as whole epoch seconds, in this database's dialect."""
    if connection.vendor == "sqlite":
        import sqlite3

        # unixepoch() (SQLite 3.38+) reads 2M timestamps about a quarter faster than strftime('%s').
        if sqlite3.sqlite_version_info >= (3, 38):
            return f"unixepoch({column})"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


def day_sql(column: str) -> str:
    """SQL for a date column as days since 1970-01-01, in this database's dialect."""
    if connection.vendor == "sqlite":
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"({column} - DATE '1970-01-01')"


def lifecycle_sql(account: str) -> str:
    """SQL for the lifecycle of ``account`` (an alias of crm_account) as scoring reads it: as recorded, except
    that while no account is recorded as a client (an export without a lifecycle column), one with a won deal is."""
    return (
        f"CASE WHEN {account}.lifecycle = 'prospect' "
        "AND NOT EXISTS (SELECT 1 FROM crm_account x WHERE x.lifecycle = 'client') "
        f"AND EXISTS (SELECT 1 FROM crm_opportunity w WHERE w.account_id = {account}.id AND w.stage = 'won') "
        f"THEN 'client' ELSE {account}.lifecycle END"
    )


def client_since_sql(account: str) -> str:
    """SQL for the day ``account`` became a client: as recorded, else the close of its first won deal."""
    first_won = (
        f"(SELECT min(w.closed_on) FROM crm_opportunity w WHERE w.account_id = {account}.id AND w.stage = 'won')"
    )
    return f"COALESCE({account}.client_since, {first_won})"


def fetch_table(sql: str, names: list[str], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Run ``sql`` on the system of record and return its rows as an Arrow table with these column names."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    types = types or {}
    return pa.table({n: pa.array(c, type=types.get(n)) for n, c in zip(names, columns, strict=True)})


def interactions_source() -> str:
    """The interactions as the reductions read them: (a = teammate, b = contact, kind, ts in epoch seconds)."""
    return f"(SELECT teammate_id AS a, contact_id AS b, kind, {epoch_sql('occurred_at')} AS ts FROM crm_interaction)"


def reduce_in_database(as_of: int, settings: StrengthSettings) -> PairState:
    """The event-level reduction run by the database itself: only one row per pair comes back."""
    if connection.vendor == "sqlite" and sqlite_reduction_runs():
        sql = sqlite_reduction_sql(as_of, settings.half_life_days)
    else:
        dialect = "sqlite" if connection.vendor == "sqlite" else "postgres"
        sql = reduction_sql(interactions_source(), as_of, settings.half_life_days, dialect=dialect)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    # Every value is a number and none is NULL; ids and epoch seconds stay exact in a double (< 2^53).
    values = np.array(rows, dtype=np.float64).reshape(-1, len(PAIR_COLUMNS))
    return PairState(
        as_of,
        pa.table(
            {
                name: values[:, i] if name in SUMS else values[:, i].astype(np.int64)
                for i, name in enumerate(PAIR_COLUMNS)
            }
        ),
    )


def load_events() -> pa.Table:
    """Every interaction as (a = teammate, b = contact, kind, ts): for evaluations that need the raw events."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT teammate_id, contact_id, kind, {epoch_sql('occurred_at')} FROM crm_interaction")
        raw = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 4)
    return pa.table({"a": raw[:, 0], "b": raw[:, 1], "kind": raw[:, 2].astype(np.int8), "ts": raw[:, 3]})


def load_inputs(events: pa.Table | None = None) -> Inputs:
    """Every table but the events, which stay where they are unless given (see ``reduce_in_database``)."""
    if events is None:
        events = pa.table(
            {
                "a": pa.array([], pa.int64()),
                "b": pa.array([], pa.int64()),
                "kind": pa.array([], pa.int8()),
                "ts": pa.array([], pa.int64()),
            }
        )
    int_ = pa.int64()
    return Inputs(
        events=events,
        teammates=fetch_table("SELECT id, name, role FROM crm_teammate", ["id", "name", "role"]),
        accounts=fetch_table(
            "SELECT id, name, industry, employees, CAST(annual_revenue AS FLOAT), country, "
            f"{lifecycle_sql('crm_account')}, {day_sql(client_since_sql('crm_account'))}, custom FROM crm_account",
            [
                "id",
                "name",
                "industry",
                "employees",
                "annual_revenue",
                "country",
                "lifecycle",
                "client_day",
                "custom",
            ],
            {"employees": int_, "annual_revenue": pa.float64(), "client_day": int_, "custom": pa.string()},
        ),
        contacts=fetch_table(
            "SELECT id, account_id, first_name, last_name, title, seniority, role, do_not_contact, opted_out_of_asks "
            "FROM crm_contact",
            [
                "id",
                "account_id",
                "first_name",
                "last_name",
                "title",
                "seniority",
                "role",
                "do_not_contact",
                "opted_out",
            ],
            {"do_not_contact": pa.bool_(), "opted_out": pa.bool_()},
        ),
        signals=fetch_table(
            f"SELECT account_id, contact_id, kind, {day_sql('occurred_on')}, nps_score, detail, "
            f"{day_sql('resolved_on')} FROM crm_signal",
            ["account_id", "contact_id", "kind", "day", "nps_score", "detail", "resolved_day"],
            {"contact_id": int_, "nps_score": int_, "resolved_day": int_},
        ),
        connections=fetch_table(
            # Only ties a warm path can take: one end at a client account (the sponsor), the other at a
            # prospect (the target); about a third of them on the smb demo.
            f"WITH side AS (SELECT c.id, {lifecycle_sql('a')} AS lifecycle FROM crm_contact c "
            "JOIN crm_account a ON a.id = c.account_id "
            f"WHERE {lifecycle_in('a.lifecycle', Lifecycle.CLIENT, Lifecycle.PROSPECT)}) "
            "SELECT t.from_contact_id, t.to_contact_id, t.kind, t.confidence, t.provenance FROM crm_connection t "
            "JOIN side f ON f.id = t.from_contact_id JOIN side o ON o.id = t.to_contact_id "
            "WHERE f.lifecycle <> o.lifecycle",
            ["from_id", "to_id", "kind", "confidence", "provenance"],
            {"from_id": int_, "to_id": int_, "confidence": pa.float64()},
        ),
        opportunities=fetch_table(
            "SELECT account_id, stage FROM crm_opportunity "
            "WHERE stage NOT IN ('won', 'lost') AND account_id IS NOT NULL",
            ["account_id", "stage"],
            {"account_id": int_, "stage": pa.string()},
        ),
        asks=fetch_table(
            f"SELECT contact_id, account_id, {epoch_sql('asked_at')}, outcome, {epoch_sql('outcome_at')} "
            "FROM referrals_ask",
            ["contact_id", "account_id", "asked_ts", "outcome", "outcome_ts"],
            {
                "contact_id": int_,
                "account_id": int_,
                "asked_ts": int_,
                "outcome": pa.string(),
                "outcome_ts": int_,
            },
        ),
        referrals=fetch_table(
            "SELECT referrer_contact_id, target_account_id, stage FROM referrals_referral",
            ["referrer_contact_id", "target_account_id", "stage"],
            {"referrer_contact_id": int_, "target_account_id": int_, "stage": pa.string()},
        ),
    )


def save_results(results: Results, settings_hash: str, started_at: datetime) -> ScoreRun:
    """One run and its tables. The caller owns the transaction."""
    run = ScoreRun.objects.create(
        as_of=results.as_of,
        settings_hash=settings_hash,
        started_at=started_at,
        timings=results.timings,
        counts={
            "pairs": results.strengths.num_rows,
            "sponsors": results.sponsors.num_rows,
            "gated": sum(results.sponsors.column("gated").to_pylist()),
            "actions": results.actions.num_rows,
            "recovery": results.recovery.num_rows,
            **results.left_out,  # what was left out and why: "skipped.REASON" per warm path, "gated.CODE" per sponsor
        },
    )
    s = results.strengths
    insert_rows(
        RelationshipStrength,
        {
            "run_id": run.pk,
            "teammate_id": s.column("a").to_numpy(),
            "contact_id": s.column("b").to_numpy(),
            "strength": np.round(s.column("strength").to_numpy(), 6),
            "volume": np.round(s.column("volume").to_numpy(), 6),
            "reciprocity": np.round(s.column("reciprocity").to_numpy(), 6),
            "depth": np.round(s.column("depth").to_numpy(), 6),
            "touches": s.column("touches").to_numpy(),
            "first_touch": s.column("first_ts").to_numpy().astype("datetime64[s]"),
            "last_touch": s.column("last_ts").to_numpy().astype("datetime64[s]"),
        },
        stamped_at=started_at,
    )
    f = results.fit
    insert_rows(
        AccountFit,
        {
            "run_id": run.pk,
            "account_id": f.column("account_id").to_pylist(),
            "fit": np.round(f.column("fit").to_numpy(), 2),
            "tier": f.column("tier").to_pylist(),
            "criteria": f.column("criteria").to_pylist(),
        },
        stamped_at=started_at,
    )
    sp = results.sponsors
    insert_rows(
        SponsorScore,
        {
            "run_id": run.pk,
            "contact_id": sp.column("contact_id").to_pylist(),
            "account_id": sp.column("account_id").to_pylist(),
            "score": sp.column("score").to_pylist(),
            "gated": sp.column("gated").to_pylist(),
            "gates": _json_lists(sp.column("reasons").to_pylist()),
            "components": sp.column("components").to_pylist(),
        },
        stamped_at=started_at,
    )
    a = results.actions
    insert_rows(
        NextBestAction,
        {
            "run_id": run.pk,
            # teammate_id is the action's owner; components are JSON text, stored as they are
            **{("owner_id" if n == "teammate_id" else n): a.column(n).to_pylist() for n in a.column_names},
        },
        stamped_at=started_at,
    )
    RecoveryItem.objects.bulk_create(
        [
            RecoveryItem(run=run, account_id=r["account_id"], detractors=r["detractors"])
            for r in results.recovery.to_pylist()
        ]
    )
    return run


def _json_lists(lists: list[list[str]]) -> list[str]:
    """Each list as JSON text; most sponsors share one of a few lists of gates (mostly none), encoded once each."""
    encoded: dict[tuple[str, ...], str] = {}
    return [encoded.get(key) or encoded.setdefault(key, json.dumps(list(key))) for key in map(tuple, lists)]
