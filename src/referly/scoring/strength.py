"""Relationship strength per pair, from time-stamped touches.

The event-level reduction is one SQL aggregate (``reduction_sql``): per pair, a decayed sum per touch
kind, ``Σ 2^(−age/half_life)``, plus counts and first and last touch. Kind 6 is a CRM's own activity
date ("Last Activity Date"): no direction and no depth known, so it adds volume at a low weight, like a
note, and never reciprocity or depth. It is plain SQL so that it
can run where the events live (DuckDB here). Decayed sums fold forward exactly:
``sum(t1) = sum(t0) · 2^(−(t1−t0)/half_life) + Σ new``, so an incremental update equals a full
recompute. Strength then combines, per pair:

- volume      V = Σ_k w_k · D_k                    (D_k: the decayed sum of kind k)
- reciprocity ρ = f + (1 − f) · min(1, 2 · min(R_in, R_out))
                with R_in = (D_in + D_meeting + D_call) / (D_out + D_in + D_meeting + D_call) and R_out
                likewise with D_out: one-way mail, either way, keeps the floor f of its volume, a balanced
                exchange (both shares ≥ 0.5) all of it
- depth       θ = 0.6 + 0.4 · min(1, (D_meeting + D_call) / (0.2 · Σ_k D_k))
                (a fifth or more of live conversations counts fully; Σ_k counts notes and CRM activity too)
- strength    s = 1 − exp(−V · ρ · θ / saturation), in [0, 1] (it reaches 1 only by rounding)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot

from referly.scoring.config import StrengthSettings

DAY = 86_400.0
SUMS = ("d_out", "d_in", "d_meeting", "d_call", "d_note", "d_activity")  # InteractionKind 1..6
PAIR_COLUMNS = ("a", "b", *SUMS, "touches", "first_ts", "last_ts")  # a reduction's columns, in this order


DIALECTS = ("duckdb", "sqlite", "postgres", "spark")
PLACEHOLDER = "referly_events_source"


def reduction_sql(
    source: str, as_of: int, half_life_days: float, since: int | None = None, dialect: str = "duckdb"
) -> str:
    """The reduction over ``source`` (a table or subquery with a, b, kind 1..6, ts in epoch seconds).

    Written once, in DuckDB's SQL (``exp``, ``CASE``, ``GROUP BY``), and rendered by sqlglot for the
    engine where the events are stored: SQLite (3.35+, math functions), PostgreSQL or Spark SQL.
    ``source`` is inserted as it is, after the rendering: it is already in that engine's dialect.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"no reduction for the SQL dialect {dialect!r}")
    since_clause = f" AND ts >= {int(since)}" if since is not None else ""
    half_life = float(half_life_days) * DAY  # 2^(-age/h) as exp(-age · ln 2 / h): exp costs less than power
    sums = ",\n       ".join(
        f"COALESCE(SUM(CASE WHEN kind = {k} THEN w ELSE 0 END), 0.0) AS {name}" for k, name in enumerate(SUMS, 1)
    )
    sql = f"""
SELECT a, b,
       {sums},
       COUNT(*) AS touches, MIN(ts) AS first_ts, MAX(ts) AS last_ts
FROM (SELECT a, b, kind, ts,
             exp(CAST(ts - {int(as_of)} AS DOUBLE) * {math.log(2) / half_life!r}) AS w
      FROM {PLACEHOLDER} AS events WHERE ts < {int(as_of)}{since_clause}) AS touched
GROUP BY a, b
"""
    if dialect != "duckdb":
        sql = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]
    return sql.replace(PLACEHOLDER, source)


@dataclass
class PairState:
    """Per pair, the decayed sums at ``as_of`` (seconds) and the plain counts: all a strength needs."""

    as_of: int
    table: pa.Table  # a, b, d_out, d_in, d_meeting, d_call, d_note, d_activity, touches, first_ts, last_ts


def reduce_events(events: Any, as_of: int, settings: StrengthSettings, since: int | None = None) -> PairState:
    """The reduction over events before ``as_of`` (and from ``since``): one row per pair."""
    con = duckdb.connect()
    con.register("events_table", events)
    table = con.sql(reduction_sql("events_table", as_of, settings.half_life_days, since)).to_arrow_table()
    con.close()
    return PairState(as_of, table)


def fold(state: PairState, new_events: Any, as_of: int, settings: StrengthSettings) -> PairState:
    """Yesterday's state moved to ``as_of`` and the events since then added: equal to a full recompute."""
    fresh = reduce_events(new_events, as_of, settings, since=state.as_of)
    factor = 2.0 ** (-(as_of - state.as_of) / (settings.half_life_days * DAY))
    con = duckdb.connect()
    con.register("old", state.table)
    con.register("new", fresh.table)
    sums = ", ".join(f"COALESCE(old.{s} * {factor!r}, 0) + COALESCE(new.{s}, 0) AS {s}" for s in SUMS)
    table = con.sql(
        f"""SELECT COALESCE(old.a, new.a) AS a, COALESCE(old.b, new.b) AS b, {sums},
                   COALESCE(old.touches, 0) + COALESCE(new.touches, 0) AS touches,
                   LEAST(old.first_ts, new.first_ts) AS first_ts,
                   GREATEST(old.last_ts, new.last_ts) AS last_ts
            FROM old FULL OUTER JOIN new ON old.a = new.a AND old.b = new.b"""
    ).to_arrow_table()
    con.close()
    return PairState(as_of, table)


@dataclass(frozen=True)
class Strength:
    """Strength and its components, arrays aligned with the pair table."""

    strength: np.ndarray[Any, np.dtype[np.float64]]
    volume: np.ndarray[Any, np.dtype[np.float64]]
    reciprocity: np.ndarray[Any, np.dtype[np.float64]]
    depth: np.ndarray[Any, np.dtype[np.float64]]


def strength_of(table: pa.Table, settings: StrengthSettings) -> Strength:
    d = {s: table.column(s).to_numpy(zero_copy_only=False).astype(np.float64) for s in SUMS}
    volume = sum(w * d[s] for w, s in zip(settings.weights, SUMS, strict=True))
    live = d["d_meeting"] + d["d_call"]
    exchanged = d["d_out"] + d["d_in"] + live
    with np.errstate(divide="ignore", invalid="ignore"):
        back = np.where(exchanged > 0, (d["d_in"] + live) / exchanged, 0.0)
        forth = np.where(exchanged > 0, (d["d_out"] + live) / exchanged, 0.0)
        total = exchanged + d["d_note"] + d["d_activity"]
        deep = np.where(total > 0, live / (0.2 * total), 0.0)
    floor = settings.reciprocity_floor
    reciprocity = floor + (1.0 - floor) * np.minimum(1.0, 2.0 * np.minimum(back, forth))
    depth = 0.6 + 0.4 * np.minimum(1.0, deep)
    strength = 1.0 - np.exp(-np.asarray(volume) * reciprocity * depth / settings.saturation)
    return Strength(strength, np.asarray(volume, dtype=np.float64), reciprocity, depth)
