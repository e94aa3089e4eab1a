"""The enterprise-scale demo as Parquet files: too big for SQLite, made for the scoring engine's benchmarks.

Layout of the output folder: one file per table (``accounts.parquet``, ``contacts.parquet``, ...)
and ``interactions/part-NNNNN.parquet`` with columns contact_id, teammate_id, kind, occurred_at (UTC, in
milliseconds: Parquet has no second resolution).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import models

from referly.ingest.demo.context import DemoContext
from referly.ingest.demo.deals import generate_pipeline, pipeline_frames
from referly.ingest.demo.firmographics import generate_market, generate_team
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import generate_people
from referly.ingest.demo.referrals import generate_referrals
from referly.ingest.demo.signals import generate_signals
from referly.ingest.demo.ties import generate_ties
from referly.ingest.demo.touches import event_blocks, plan_touches

PAIRS_PER_FILE = 150_000


def frame_table(frame: Frame) -> pa.Table:
    size = len(frame)
    arrays: dict[str, pa.Array] = {}
    fields = {f.attname: f for f in frame.model._meta.concrete_fields}
    for name, values in frame.columns.items():
        field = fields[name] if name in fields else frame.model._meta.get_field(name)
        column = values if isinstance(values, np.ndarray | list) else [values] * size
        array = pa.array(column)
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            array = array.cast(pa.date32())
        elif isinstance(field, models.DateTimeField):
            array = array.cast(pa.timestamp("ms", tz="UTC"))
        arrays[name] = array
    return pa.table(arrays)


def write_enterprise(ctx: DemoContext, out: Path, on_progress: Callable[[str, int], None]) -> dict[str, int]:
    """Generate every table and write it under ``out``; returns rows written per table."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}

    def save(name: str, frames: list[Frame]) -> None:
        table = pa.concat_tables([frame_table(f) for f in frames], promote_options="permissive")
        pq.write_table(table, out / f"{name}.parquet")
        written[name] = table.num_rows
        on_progress(name, table.num_rows)

    team, teammates = generate_team(ctx)
    market, accounts = generate_market(ctx, team)
    save("teammates", [teammates])
    save("accounts", [accounts])
    people, contacts, employment = generate_people(ctx, market)
    save("contacts", [contacts])
    save("employment", [employment])
    save("signals", [generate_signals(ctx, market, people, employment)])
    pipeline = generate_pipeline(ctx, market)
    referral_frames, introductions = generate_referrals(ctx, market, team, people, pipeline)
    opportunities, history = pipeline_frames(ctx, market, pipeline)
    save("opportunities", [opportunities])
    save("opportunity_stage_changes", [history])
    for name, frame in zip(["referrals", "referral_transitions", "asks"], referral_frames, strict=True):
        save(name, [frame])
    save("connections", [*generate_ties(ctx, market, team, people), introductions])

    folder = out / "interactions"
    folder.mkdir(exist_ok=True)
    plan = plan_touches(ctx, market, team, people)
    total = 0
    for i, block in enumerate(event_blocks(ctx, plan, PAIRS_PER_FILE)):
        pq.write_table(_events_table(block), folder / f"part-{i:05d}.parquet")
        total += len(block)
        on_progress("interactions", len(block))
    written["interactions"] = total
    return written


def _events_table(block: Any) -> pa.Table:
    return pa.table(
        {
            "contact_id": pa.array(block["contact"], pa.int64()),
            "teammate_id": pa.array(block["teammate"].astype(np.int32), pa.int32()),
            "kind": pa.array(block["kind"].astype(np.int8), pa.int8()),
            "occurred_at": pa.array(block["at"].astype("datetime64[s]")).cast(pa.timestamp("ms", tz="UTC")),
        }
    )
