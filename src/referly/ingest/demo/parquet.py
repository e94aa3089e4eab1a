"""The enterprise-scale demo as Parquet files: too big for SQLite, made for the scoring engine's benchmarks.

Layout of the output folder: one file per table (``accounts.parquet``, ``contacts.parquet``, ...)
and ``interactions/part-NNNNN.parquet`` with columns contact_id, teammate_id, kind, occurred_at (UTC, in
milliseconds: Parquet has no second resolution), and the synthetic company's exchange rates as
``exchange-rates.csv`` (``date,currency,rate``, for ``referly fx import``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import models

from referly.crm.models import (
    Account,
    Connection,
    Contact,
    Employment,
    Opportunity,
    OpportunityStageChange,
    Signal,
    Teammate,
)
from referly.ingest.demo import generate_records
from referly.ingest.demo.context import DemoContext
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.rates import FILE_NAME, write_demo_rates
from referly.ingest.demo.touches import event_blocks
from referly.referrals.models import Ask, Referral, ReferralTransition

PAIRS_PER_FILE = 150_000
FILE_NAMES: dict[type[models.Model], str] = {
    Teammate: "teammates",
    Account: "accounts",
    Contact: "contacts",
    Employment: "employment",
    Connection: "connections",
    Signal: "signals",
    Opportunity: "opportunities",
    OpportunityStageChange: "opportunity_stage_changes",
    Referral: "referrals",
    ReferralTransition: "referral_transitions",
    Ask: "asks",
}


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

    frames, plan = generate_records(ctx)
    for model in dict.fromkeys(f.model for f in frames):  # one file per table, in the order they were made
        save(FILE_NAMES[model], [f for f in frames if f.model is model])

    folder = out / "interactions"
    folder.mkdir(exist_ok=True)
    total = 0
    for i, block in enumerate(event_blocks(ctx, plan, PAIRS_PER_FILE)):
        pq.write_table(_events_table(block), folder / f"part-{i:05d}.parquet")
        total += len(block)
        on_progress("interactions", len(block))
    written["interactions"] = total
    written[FILE_NAME] = write_demo_rates(ctx, out)
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
