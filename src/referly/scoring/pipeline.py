"""The whole scoring pipeline, from the system of record's tables to explained next best actions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from referly.crm.lifecycle import Lifecycle, lifecycle_in
from referly.scoring.actions import next_best_actions_counted, scored_paths
from referly.scoring.config import ScoringSettings
from referly.scoring.context import DAY, Inputs, engine
from referly.scoring.gates import GATE_CODES, gate_reasons, recovery_accounts
from referly.scoring.icp import icp_fit
from referly.scoring.moments import best_moments
from referly.scoring.paths import warm_paths_counted
from referly.scoring.sponsors import (
    COMPONENTS,
    missing_evidence,
    sponsor_components,
    sponsor_features,
    sponsor_scores,
)
from referly.scoring.strength import SUMS, PairState, reduce_events, strength_of


@dataclass
class Results:
    as_of: datetime
    strengths: pa.Table  # teammate_id, contact_id, strength, volume, reciprocity, depth, touches, first/last
    fit: pa.Table  # account_id, fit, tier, criteria (JSON)
    sponsors: pa.Table  # contact_id, account_id, score, gated, reasons, components (JSON), moment...
    actions: pa.Table  # rank, sponsor_id, ..., channel, explanation, components (JSON): ACTION_SCHEMA
    recovery: pa.Table  # account_id, detractors, contact_ids
    timings: dict[str, float] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)  # "skipped.REASON" per warm path, "gated.CODE" per sponsor
    scored_paths: pa.Table | None = None  # with keep_scored_paths: every scorable path's score and parts


def run_pipeline(
    inputs: Inputs,
    as_of: datetime,
    settings: ScoringSettings,
    on_step: Callable[[str], None] | None = None,
    pairs: PairState | None = None,
    keep_scored_paths: bool = False,
) -> Results:
    """Score everything as of ``as_of``. ``pairs``: the events already reduced (where they live).
    ``keep_scored_paths``: also keep every scorable path's score, listed or not (``actions.scored_paths``)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()
        if on_step:
            on_step(name)

    now = int(as_of.timestamp())
    today = (now - 1) // DAY  # the last day as_of covers whole: a fact dated after it is not known yet
    state = pairs if pairs is not None else reduce_events(inputs.events, now, settings.strength)
    parts = strength_of(state.table, settings.strength)
    strengths = pa.table(
        {
            "a": state.table.column("a"),
            "b": state.table.column("b"),
            "strength": parts.strength,
            "volume": parts.volume,
            "reciprocity": parts.reciprocity,
            "depth": parts.depth,
            "touches": state.table.column("touches"),
            "first_ts": state.table.column("first_ts"),
            "last_ts": state.table.column("last_ts"),
            "activity_only": _activity_only(state.table),
        }
    )
    step("relationship strength")

    con = engine(inputs, strengths=strengths)
    fit_table = icp_fit(con, settings.icp)
    con.register("fit", fit_table)
    step("ICP fit")

    con.register(
        "pool",
        con.sql(
            "SELECT c.id, c.account_id FROM contacts c JOIN accounts a ON a.id = c.account_id "
            f"WHERE {lifecycle_in('a.lifecycle', Lifecycle.CLIENT)}"
        ).to_arrow_table(),
    )
    gated = gate_reasons(con, today, settings.gates)
    con.register("gated", gated)
    moments = best_moments(con, today, settings.moments)
    con.register("moments", moments)
    step("gates and moments")

    paths, paths_skipped = warm_paths_counted(con, settings.min_path)
    con.register("paths", paths)
    left_out = {f"skipped.{k}": v for k, v in paths_skipped.items()}
    step("warm paths")

    features = sponsor_features(con, today, settings.gates.escalation_days)
    components = sponsor_components(features)
    scores = sponsor_scores(components, settings)
    con.register("features", features)
    sponsor_parts = {n: components[n] for n in (*COMPONENTS, "risk")}
    con.register(
        "parts",
        pa.table(
            {
                "score": np.round(scores, 2),
                **sponsor_parts,
                "missing": missing_evidence(features),
            }
        ),
    )
    explained = ", ".join(f"{name} := round(parts.{name}, 4)" for name in (*COMPONENTS, "risk"))
    explained += ", missing := parts.missing"
    sponsors = con.sql(
        f"""SELECT f.contact_id, f.account_id, f.teammate_id, f.tie, parts.score, g.contact_id IS NOT NULL AS gated,
                  coalesce(g.reasons, []::VARCHAR[]) AS reasons,
                  to_json(struct_pack({explained}))::VARCHAR AS components, f.success_detail
           FROM features f POSITIONAL JOIN parts LEFT JOIN gated g ON g.contact_id = f.contact_id
           ORDER BY f.contact_id"""
    ).to_arrow_table()
    con.register("sponsor_scores", sponsors)
    step("sponsor scores")

    actions, skipped = next_best_actions_counted(con, dict(settings.factors), settings.per_sponsor)
    left_out.update({f"skipped.{k}": v for k, v in skipped.items()})
    left_out.update(_gated_by_code(con))
    recovery = recovery_accounts(con)
    step("next best actions")
    kept = scored_paths(con, dict(settings.factors)) if keep_scored_paths else None
    con.close()
    return Results(as_of, strengths, fit_table, sponsors, actions, recovery, timings, left_out, kept)


def _activity_only(pairs: pa.Table) -> pa.Array:
    """Per pair: known only from a CRM's activity dates (kind 6), no real touch."""
    real = sum(np.asarray(pairs.column(s).to_numpy(zero_copy_only=False), dtype=np.float64) for s in SUMS[:-1])
    activity = np.asarray(pairs.column("d_activity").to_numpy(zero_copy_only=False), dtype=np.float64)
    return pa.array((np.asarray(real) == 0) & (activity > 0), pa.bool_())


def _gated_by_code(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Possible sponsors gated, per gate (a sponsor held by two gates counts under both)."""
    rows = con.execute(
        "SELECT code, count(*) FROM (SELECT unnest(g.codes) AS code FROM gated g JOIN pool ON pool.id = g.contact_id) "
        "GROUP BY code"
    ).fetchall()
    found = {f"gated.{code}": 0 for code in GATE_CODES}
    found.update({f"gated.{code}": int(n) for code, n in rows})
    return found


def as_of_moment(day: date | None) -> datetime:
    """The end of ``day`` (UTC midnight after it), or now."""
    if day is None:
        return datetime.now(tz=UTC)
    return datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)
