"""The enterprise scale's Parquet files, checked on a scaled-down company of the same shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from referly.ingest.demo import DemoContext, Volumes
from referly.ingest.demo.parquet import write_enterprise


def test_every_table_is_written_with_typed_columns_and_the_events_in_parts(tmp_path: Path) -> None:
    volumes = Volumes(
        "enterprise-sample",
        teammates=20,
        accounts=400,
        contacts=4_000,
        interactions=60_000,
        extra_referrals=10,
    )
    seen: list[str] = []
    written = write_enterprise(DemoContext(volumes, 5, date(2026, 11, 1)), tmp_path, lambda name, n: seen.append(name))

    expected = {
        "teammates",
        "accounts",
        "contacts",
        "employment",
        "signals",
        "opportunities",
        "opportunity_stage_changes",
        "referrals",
        "referral_transitions",
        "asks",
        "connections",
    }
    assert expected <= {p.stem for p in tmp_path.glob("*.parquet")}
    assert pq.read_table(tmp_path / "accounts.parquet").num_rows == 400
    assert pq.read_table(tmp_path / "contacts.parquet").num_rows == 4_000

    events = pq.read_table(tmp_path / "interactions")
    assert events.num_rows == written["interactions"]
    assert 50_000 < events.num_rows < 70_000
    schema = {f.name: str(f.type) for f in events.schema}
    assert schema == {
        "contact_id": "int64",
        "teammate_id": "int32",
        "kind": "int8",
        "occurred_at": "timestamp[ms, tz=UTC]",
    }
    assert str(pq.read_table(tmp_path / "signals.parquet").schema.field("occurred_on").type) == "date32[day]"
    assert events.column("occurred_at").to_numpy().max() < __import__("numpy").datetime64("2026-11-01")
    assert "interactions" in seen
