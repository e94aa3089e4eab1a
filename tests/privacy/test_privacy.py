"""`referly forget` leaves no trace of the person anywhere and keeps the counts; export-person holds it all."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import Result
from django.db import connection

from referly.crm.models import Connection, Contact, Employment, Interaction, Signal
from referly.ingest.dedupe import merge
from referly.referrals.ledger import record_ask
from referly.referrals.services import advance, create
from referly.scoring.models import NextBestAction, ScoreRun
from tests.conftest import RunCli, on_postgres
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
EMAIL, NAME, PHONE = "jane.privacy@acme.example", "Jane Privacy", "+33 6 12 34 56 78"


def everything_in_the_database() -> str:
    """Every value of every row of every table, as one lower-cased text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            parts.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(parts).lower()
    return text + json.dumps(text)  # JSON columns may escape accented letters


@pytest.fixture
def jane(db: object) -> Contact:
    owner = make_teammate("Alice Martin")
    acme = make_account("Acme", domain="acme.example", lifecycle="client")
    jane = make_contact(acme, first_name="Jane", last_name="Privacy", email=EMAIL, phone=PHONE, title="CFO")
    friend = make_contact(make_account("Lumen Freight"), first_name="Omar", last_name="Haddad")
    Employment.objects.create(contact=jane, company_name="Globex", company_key="globex", started_on=date(2019, 1, 1))
    Connection.objects.create(
        from_contact=jane, to_contact=friend, kind="declared", confidence=0.8, provenance=f"{NAME} told us"
    )
    Interaction.objects.bulk_create(
        Interaction(teammate=owner, contact=jane, kind=k, occurred_at=datetime(2026, 10, d, tzinfo=UTC))
        for d, k in ((1, 1), (2, 2), (3, 3))
    )
    Signal.objects.create(
        account=acme, contact=jane, kind="measured_success", occurred_on=date(2026, 9, 1), detail=f"{NAME}: -30% costs"
    )
    twin = make_contact(acme, first_name="J.", last_name="Privacy", email="j.privacy@acme.example")
    older = make_contact(acme, first_name="Janie", last_name="Privacy", email="jp.old@acme.example")
    merge("contacts", twin.pk, older.pk, now=NOW)  # a chain: an old record into the twin, the twin into Jane
    merge("contacts", jane.pk, twin.pk, now=NOW)  # the audit keeps the twin's snapshot
    make_contact(acme, first_name="Joanne", last_name="Private", email="xjane.privacy@acme.example")
    referral = create(jane, friend.account_id, friend, owner, now=NOW, actor=owner, script="email/none/en")
    for stage in ("requested", "introduced"):
        advance(referral.pk, stage, actor=owner, now=NOW, consent=True, note=f"Called {NAME} on {PHONE}")
    run = ScoreRun.objects.create(as_of=NOW, settings_hash="x", started_at=NOW)
    NextBestAction.objects.create(
        run=run,
        rank=1,
        sponsor=jane,
        sponsor_account=acme,
        owner=owner,
        target_account=friend.account,
        target_contact=friend,
        score=0.5,
        channel="email",
        explanation=f"{NAME} can introduce Omar",
        components={"who": NAME},
    )
    return jane


def test_forget_leaves_no_email_name_or_phone_anywhere_and_keeps_the_counts(
    jane: Contact, cli: Callable[..., Result]
) -> None:
    before = everything_in_the_database()
    assert all(s.lower() in before for s in (EMAIL, NAME, PHONE, "j.privacy@acme.example", "hi jane"))
    counted = (Contact, Interaction, Signal)
    counts = {m: m._default_manager.count() for m in counted}
    from referly.referrals.models import Ask, Referral, ReferralTransition

    kept = {m: m._default_manager.count() for m in (Ask, Referral, ReferralTransition)}
    result = cli("forget", EMAIL, "--yes")
    assert result.exit_code == 0, result.output
    after = everything_in_the_database()
    assert "xjane.privacy@acme.example" in after  # a look-alike e-mail is someone else's: left alone
    after = after.replace("xjane.privacy@acme.example", "")
    for trace in (EMAIL, NAME, PHONE, "j.privacy@acme.example", "jp.old@acme.example", "privacy, jane", "hi jane"):
        assert trace.lower() not in after, trace
    assert {m: m._default_manager.count() for m in counted} == counts
    assert {m: m._default_manager.count() for m in kept} == kept
    erased = Contact.objects.get(pk=jane.pk)
    assert erased.erased_at is not None and erased.do_not_contact and erased.opted_out_of_asks
    assert Interaction.objects.filter(contact=erased).count() == 3  # anonymised, still counted
    assert cli("forget", EMAIL, "--yes").exit_code == 3  # gone: not found


def test_an_erased_person_is_never_asked_again(jane: Contact) -> None:
    from referly.errors import NotPermitted
    from referly.privacy.services import forget

    forget(EMAIL, NOW)
    with pytest.raises(NotPermitted, match="must not be asked"):
        record_ask(jane.pk, asked_by=None, now=NOW, override_reason="please")


def test_export_person_writes_everything_held_about_them(
    jane: Contact, cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "jane.json"
    assert cli("export-person", EMAIL.upper(), "--out", str(out)).exit_code == 0
    held = json.loads(out.read_text())
    assert held["contact"]["email"] == EMAIL and held["contact"]["phone"] == PHONE
    assert [e["company_name"] for e in held["employments"]] == ["Globex"]
    assert len(held["interactions"]) == 3 and held["interactions"][2]["kind"] == "Meeting"
    assert held["referrals"][0]["as"] == "referrer" and held["asks"][0]["outcome"] == "accepted"
    assert held["signals"][0]["detail"].endswith("-30% costs")
    assert cli("export-person", "nobody@acme.example").exit_code == 3


@pytest.mark.skipif(on_postgres(), reason="the bytes on disk of a SQLite file; the PostgreSQL suite vacuums instead")
def test_on_sqlite_the_erased_bytes_are_gone_from_the_file(run_referly: RunCli, tmp_path: Path) -> None:
    db = tmp_path / "company.db"
    made = run_referly("demo-data", "--scale", "tiny", "--seed", "5", "--db", str(db))
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(db) as con:
        email, first, last = con.execute(
            "SELECT email, first_name, last_name FROM crm_contact WHERE email IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
    files = lambda: b"".join(p.read_bytes() for p in tmp_path.glob("company.db*"))  # noqa: E731
    assert email.encode() in files()
    erased = run_referly("forget", email, "--yes", "--db", str(db))
    assert erased.returncode == 0, erased.stderr
    assert email.encode() not in files() and f"{first}{last}".encode() not in files()
