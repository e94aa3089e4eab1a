"""Scoring a Parquet export of the system of record gives what scoring the database gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from referly.crm.colleagues import Job, former_colleagues
from referly.ingest.demo import DemoContext, generate, load, volumes_for
from referly.ingest.demo.parquet import write_enterprise
from referly.scoring.folder import connection_ties
from referly.scoring.models import NextBestAction, RelationshipStrength, ScoreRun, SponsorScore

UNTIL = date(2026, 11, 1)


@pytest.mark.django_db
def test_the_folder_and_the_database_score_the_same_company_alike(cli: Callable[..., Result], tmp_path: Path) -> None:
    ctx = DemoContext(volumes_for("tiny"), 3, UNTIL)
    write_enterprise(ctx, tmp_path / "export", lambda name, rows: None)
    load(DemoContext(volumes_for("tiny"), 3, UNTIL), generate(DemoContext(volumes_for("tiny"), 3, UNTIL)))

    assert cli("score", "--as-of", UNTIL.isoformat()).exit_code == 0
    result = cli("score", "--as-of", UNTIL.isoformat(), "--folder", str(tmp_path / "export"))
    assert result.exit_code == 0, result.output
    assert "score tables in" in result.output
    run = ScoreRun.objects.get()  # the folder run wrote nothing to the database
    scores = tmp_path / "export" / "scores"

    keys = [("a", "ascending"), ("b", "ascending")]
    strengths = pq.read_table(scores / "relationship_strength.parquet").sort_by(keys)
    stored = RelationshipStrength.objects.filter(run=run).order_by("teammate_id", "contact_id")
    assert strengths.num_rows == stored.count() > 0
    assert strengths.column("b").to_pylist() == list(stored.values_list("contact_id", flat=True))
    assert np.allclose(
        strengths.column("strength").to_numpy(), list(stored.values_list("strength", flat=True)), atol=1e-6
    )

    sponsors = pq.read_table(scores / "sponsor_scores.parquet")
    in_folder = dict(zip(sponsors.column("contact_id").to_pylist(), sponsors.column("score").to_pylist(), strict=True))
    in_database = dict(SponsorScore.objects.filter(run=run).values_list("contact_id", "score"))
    assert in_folder == in_database

    actions = pq.read_table(scores / "next_best_actions.parquet").to_pylist()
    expected = NextBestAction.objects.filter(run=run).order_by("rank")
    assert len(actions) == expected.count() > 0
    assert [(a["sponsor_id"], a["target_account_id"], a["target_contact_id"]) for a in actions] == [
        (a.sponsor_id, a.target_account_id, a.target_contact_id) for a in expected
    ]
    assert [a["explanation"] for a in actions[:20]] == [a.explanation for a in expected[:20]]


def test_a_folder_missing_a_table_is_one_clear_error(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "interactions").mkdir()
    result = cli("score", "--folder", str(tmp_path))
    assert result.exit_code == 2
    assert "has no teammates.parquet" in result.output
    assert "Traceback" not in result.output


def test_out_without_folder_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("score", "--out", str(tmp_path / "scores"))
    assert result.exit_code == 2
    assert "--out goes with --folder" in result.output


day = st.integers(min_value=0, max_value=3_000)
jobs = st.lists(
    st.tuples(
        st.integers(1, 12),  # contact
        st.sampled_from(["acme", "globex", "initech"]),
        day,
        st.one_of(st.none(), st.integers(1, 2_000)),  # length; None: still there
    ),
    max_size=25,
)


@given(jobs)
def test_former_colleagues_in_sql_match_the_rule_in_python(rows: list[tuple[int, str, int, int | None]]) -> None:
    start = date(2018, 1, 1)
    today = start + timedelta(days=4_000)
    history = [
        Job(c, key, key.title(), start + timedelta(days=s), None if n is None else start + timedelta(days=s + n))
        for c, key, s, n in rows
    ]
    # Contacts 1-4 work at a client (possible sponsors), 5-8 at a prospect (targets), 9-12 at a churned
    # account: only client-prospect ties can carry a warm path, and only those are derived, client first.
    side = {c: ("client" if c <= 4 else "prospect" if c <= 8 else "churned") for c in range(1, 13)}
    expected = {}
    for t in former_colleagues(history, today):
        low, high = side[t.low_contact_id], side[t.high_contact_id]
        if {low, high} == {"client", "prospect"}:
            pair = (t.low_contact_id, t.high_contact_id) if low == "client" else (t.high_contact_id, t.low_contact_id)
            expected[pair] = t.confidence

    con = duckdb.connect()
    employment = pa.table(
        {
            "contact_id": pa.array([j.contact_id for j in history], pa.int64()),
            "company_key": pa.array([j.company_key for j in history], pa.string()),
            "company_name": pa.array([j.company_name for j in history], pa.string()),
            "started_on": pa.array([j.started_on for j in history], pa.date32()),
            "ended_on": pa.array([j.ended_on for j in history], pa.date32()),
        }
    )
    # Declared ties: client to prospect is kept (either way round), client to client and churned are not.
    connections = pa.table(
        {
            "from_contact_id": pa.array([1, 6, 1, 9], pa.int64()),
            "to_contact_id": pa.array([5, 2, 2, 5], pa.int64()),
            "kind": ["declared", "board_seat", "declared", "declared"],
            "confidence": [0.7, 0.6, 0.9, 0.9],
            "provenance": ["Met at a conference", "Same board", "Same team", "Old friends"],
        }
    )
    con.register("employment", employment)
    lifecycles = ["client", "prospect", "churned"]
    con.register("accounts", pa.table({"id": [1, 2, 3], "lifecycle": lifecycles}))
    con.register(
        "contacts", pa.table({"id": list(side), "account_id": [lifecycles.index(v) + 1 for v in side.values()]})
    )
    con.register("connections", connections)
    ties = connection_ties(con, today).to_pylist()
    declared = [t for t in ties if t["kind"] != "former_colleagues"]
    assert sorted((t["from_id"], t["to_id"], t["kind"], t["provenance"]) for t in declared) == [
        (1, 5, "declared", "Met at a conference"),
        (6, 2, "board_seat", "Same board"),
    ]
    colleagues = [t for t in ties if t["kind"] == "former_colleagues"]
    found = {(t["from_id"], t["to_id"]): t["confidence"] for t in colleagues}
    for t in colleagues:
        shared = {j.company_name for j in history if j.contact_id in (t["from_id"], t["to_id"])}
        assert t["provenance"].removeprefix("Worked together at ") in shared
    assert found.keys() == expected.keys()
    for pair, confidence in expected.items():
        assert found[pair] == pytest.approx(confidence, abs=1e-4)
