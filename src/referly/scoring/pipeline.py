"""The whole scoring pipeline, from the system of record's tables to explained next best actions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

from referly.crm.lifecycle import Lifecycle, lifecycle_in
from referly.scoring.actions import next_best_actions
from referly.scoring.config import ScoringSettings
from referly.scoring.context import DAY, Inputs, engine
from referly.scoring.gates import gate_reasons, recovery_accounts
from referly.scoring.icp import icp_fit
from referly.scoring.moments import best_moments
from referly.scoring.paths import warm_paths
from referly.scoring.sponsors import COMPONENTS, sponsor_components, sponsor_features, sponsor_scores
from referly.scoring.strength import PairState, reduce_events, strength_of


@dataclass
class Results:
    as_of: datetime
    strengths: pa.Table  # teammate_id, contact_id, strength, volume, reciprocity, depth, touches, first/last
    fit: pa.Table  # account_id, fit, tier, criteria (JSON)
    sponsors: pa.Table  # contact_id, account_id, score, gated, reasons, components (JSON), moment...
    actions: pa.Table  # rank, sponsor_id, ..., channel, explanation, components (JSON): ACTION_SCHEMA
    recovery: pa.Table  # account_id, detractors, contact_ids
    timings: dict[str, float] = field(default_factory=dict)


def run_pipeline(
    inputs: Inputs,
    as_of: datetime,
    settings: ScoringSettings,
    on_step: Callable[[str], None] | None = None,
    pairs: PairState | None = None,
) -> Results:
    """Score everything as of ``as_of``. ``pairs``: the events already reduced (where they live)."""
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

    paths = warm_paths(con, settings.min_path)
    con.register("paths", paths)
    step("warm paths")

    features = sponsor_features(con, today, settings.gates.escalation_days)
    components = sponsor_components(features)
    scores = sponsor_scores(components, settings)
    con.register("features", features)
    con.register("parts", pa.table({"score": np.round(scores, 2), **{n: components[n] for n in (*COMPONENTS, "risk")}}))
    explained = ", ".join(f"{name} := round(parts.{name}, 4)" for name in (*COMPONENTS, "risk"))
    sponsors = con.sql(
        f"""SELECT f.contact_id, f.account_id, f.teammate_id, f.tie, parts.score, g.contact_id IS NOT NULL AS gated,
                  coalesce(g.reasons, []::VARCHAR[]) AS reasons,
                  to_json(struct_pack({explained}))::VARCHAR AS components, f.success_detail
           FROM features f POSITIONAL JOIN parts LEFT JOIN gated g ON g.contact_id = f.contact_id
           ORDER BY f.contact_id"""
    ).to_arrow_table()
    con.register("sponsor_scores", sponsors)
    step("sponsor scores")

    actions = next_best_actions(con, dict(settings.factors), settings.per_sponsor)
    recovery = recovery_accounts(con)
    step("next best actions")
    con.close()
    return Results(as_of, strengths, fit_table, sponsors, actions, recovery, timings)


def as_of_moment(day: date | None) -> datetime:
    """The end of ``day`` (UTC midnight after it), or now."""
    if day is None:
        return datetime.now(tz=UTC)
    return datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=UTC)
