"""The demo company: complete, coherent, and the same every time for the same seed."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from django.db.models import Q

from referly.census import record_counts
from referly.ingest.demo import DemoContext, generate, volumes_for
from tests.conftest import RunCli, on_postgres

UNTIL = date(2026, 11, 1)


@pytest.fixture
def tiny_demo(db: object, cli: object) -> dict[str, int]:
    result = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", UNTIL.isoformat())  # type: ignore[operator]
    assert result.exit_code == 0, result.output
    return record_counts()


def test_the_demo_fills_every_table_but_reviews(tiny_demo: dict[str, int]) -> None:
    volumes = volumes_for("tiny")
    assert tiny_demo["teammates"] == volumes.teammates
    assert tiny_demo["accounts"] == volumes.accounts
    assert tiny_demo["contacts"] == volumes.contacts
    assert 0.9 * volumes.interactions < tiny_demo["interactions"] < 1.1 * volumes.interactions
    empty = {name for name, n in tiny_demo.items() if n == 0}
    assert empty == {"reviews", "merges"}  # made by people, later


def test_the_demo_tells_a_coherent_story(tiny_demo: dict[str, int]) -> None:
    from referly.crm.models import Account, Connection, Interaction, Opportunity, Signal
    from referly.referrals.models import Referral

    assert not Account.objects.filter(lifecycle="client", client_since__isnull=True).exists()
    assert not Account.objects.filter(lifecycle="prospect", client_since__isnull=False).exists()
    assert not Interaction.objects.filter(occurred_at__date__gte=UNTIL).exists()
    from referly.referrals.models import Ask, ReferralTransition

    for model, when in ((Signal, "occurred_on"), (Ask, "asked_at__date"), (ReferralTransition, "at__date")):
        assert not model.objects.filter(**{f"{when}__gte": UNTIL}).exists(), f"{model.__name__} after today"
    kinds = Counter(Signal.objects.values_list("kind", flat=True))
    assert {"nps", "onboarding_completed", "measured_success", "renewal"} <= set(kinds)
    scores = list(Signal.objects.filter(kind="nps").values_list("nps_score", flat=True))
    assert min(scores) <= 6 and max(scores) >= 9, "NPS answers include detractors and promoters"
    assert Signal.objects.filter(kind="measured_success", value__isnull=False).exclude(detail="").exists()
    assert Connection.objects.filter(kind="former_colleagues").exists()
    for referral in Referral.objects.filter(stage="won"):
        assert referral.opportunity is not None and referral.opportunity.stage == "won"
        assert referral.opportunity.source == "referral"
        assert referral.opportunity.referring_contact_id == referral.referrer_contact_id
        assert referral.referrer_account.lifecycle in ("client", "churned")
        assert referral.transitions.count() == referral.version
    assert not Opportunity.objects.filter(Q(stage__in=["won", "lost"]) & Q(closed_on__isnull=True)).exists()


def test_interaction_activity_is_heavy_tailed(tiny_demo: dict[str, int]) -> None:
    from referly.crm.models import Interaction

    per_contact = np.array(
        [n for _, n in Counter(Interaction.objects.values_list("contact_id", flat=True)).items()], dtype=float
    )
    top_tenth = np.sort(per_contact)[-len(per_contact) // 10 :].sum()
    assert top_tenth / per_contact.sum() > 0.3, "a tenth of the contacts should hold a large share of the activity"


def _digest(frames: list) -> str:  # type: ignore[type-arg]
    h = hashlib.sha256()
    for frame in frames:
        for name in sorted(frame.columns):
            h.update(name.encode())
            h.update(
                repr(
                    frame.columns[name]
                    if not isinstance(frame.columns[name], np.ndarray)
                    else frame.columns[name].tobytes()
                ).encode()
            )
    return h.hexdigest()


def test_the_same_seed_generates_the_same_company_and_another_seed_another() -> None:
    volumes = volumes_for("tiny")
    first = _digest(generate(DemoContext(volumes, 11, UNTIL)))
    assert first == _digest(generate(DemoContext(volumes, 11, UNTIL)))
    assert first != _digest(generate(DemoContext(volumes, 12, UNTIL)))


def _database_digest(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND (name LIKE 'crm_%' OR name LIKE 'referrals_%')"
            )
        ]
        digests = {}
        for table in sorted(tables):
            h = hashlib.sha256()
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                h.update(repr(row).encode())
            digests[table] = h.hexdigest()
    return digests


@pytest.mark.slow
@pytest.mark.skipif(on_postgres(), reason="writes SQLite files; runs once, in the SQLite suite")
def test_demo_data_smb_seed_7_twice_gives_identical_databases(tmp_path: Path) -> None:
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "referly",
                "demo-data",
                "--scale",
                "smb",
                "--seed",
                "7",
                "--until",
                "2026-11-01",
                "--db",
                name,
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("first.db", "second.db")
    ]
    for run in runs:
        out, _ = run.communicate(timeout=900)
        assert run.returncode == 0, out
    first, second = _database_digest(tmp_path / "first.db"), _database_digest(tmp_path / "second.db")
    assert len(first) >= 12
    assert first == second
    with sqlite3.connect(tmp_path / "first.db") as db:
        assert db.execute("SELECT COUNT(*) FROM crm_account").fetchone()[0] == 5_000
        assert db.execute("SELECT COUNT(*) FROM crm_contact").fetchone()[0] == 50_000
        assert 1_900_000 < db.execute("SELECT COUNT(*) FROM crm_interaction").fetchone()[0] < 2_100_000


def test_demo_command_builds_a_fresh_database_with_logins_to_the_dashboard(run_referly: RunCli, tmp_path: Path) -> None:
    first = run_referly("demo", "--scale", "tiny", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "Demo company ready" in first.stdout and "log in as admin@northbeam.example / referly-demo" in first.stdout
    again = run_referly("demo", "--scale", "tiny", "--seed", "8", "--no-serve")
    assert again.returncode == 0, again.stderr  # an existing demo database is replaced, not refused
    with sqlite3.connect(tmp_path / "referly-demo.db") as db:
        assert db.execute("SELECT COUNT(*) FROM crm_account").fetchone()[0] == volumes_for("tiny").accounts


@pytest.mark.parametrize("seed", [0, 1, 8, 99])
def test_any_seed_builds_a_complete_company(seed: int) -> None:
    frames = generate(DemoContext(volumes_for("tiny"), seed, UNTIL))
    sizes = {frame.model.__name__: len(frame) for frame in frames}
    assert sizes["Teammate"] == 12 and sizes["Account"] == 250
    assert sizes["Referral"] > 0 and sizes["Signal"] > 0
