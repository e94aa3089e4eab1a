"""`referly forget` erases a person from the trail too: the events naming them keep only their kind and time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from django.test import Client

from referly.audit.models import AuditEvent
from referly.audit.trail import FORGOTTEN, record
from tests.audit.conftest import SPONSOR_EMAIL, Sponsor, events
from tests.conftest import RunCli, on_postgres
from tests.privacy.test_privacy import everything_in_the_database

pytestmark = pytest.mark.django_db


def test_forget_scrubs_every_event_naming_the_person_with_or_without_a_plus_tag(
    sponsor: Sponsor, cli: Callable[..., Result]
) -> None:
    assert Client().get(sponsor.page).status_code == 200  # portal.opened, naming Jane
    tagged = "Jane.Sponsor+crm@acme.example"
    record("login.failed", actor_label=tagged, subject="wrong user name or password", mentions=[tagged])
    kept = record(
        "login.failed", actor_label="omar@lumen.example", subject="someone else", mentions=["omar@lumen.example"]
    )
    opened_at = events("portal.opened")[0].at
    assert SPONSOR_EMAIL in everything_in_the_database()
    done = cli("forget", SPONSOR_EMAIL, "--yes")
    assert done.exit_code == 0, done.output
    assert "2 audit events erased" in done.output
    text = everything_in_the_database()
    for trace in (SPONSOR_EMAIL, "jane.sponsor+crm@acme.example", "jane sponsor"):
        assert trace not in text, trace
    [opened] = events("portal.opened")
    assert (opened.at, opened.actor_label, opened.subject, opened.detail, opened.mentions, opened.ip) == (
        opened_at,
        FORGOTTEN,
        "",
        {},
        "",
        None,
    )
    assert AuditEvent.objects.get(pk=kept.pk).actor_label == "omar@lumen.example", "others are left alone"
    [forgot] = events("forget")
    assert forgot.subject == f"a person (contact {sponsor.contact.pk})" and forgot.detail["audit events erased"] == 2


@pytest.mark.skipif(on_postgres(), reason="the bytes on disk of a SQLite file; the PostgreSQL suite vacuums instead")
def test_on_sqlite_no_byte_of_the_address_stays_in_the_file_after_forget(run_referly: RunCli, tmp_path: Path) -> None:
    db = tmp_path / "company.db"
    made = run_referly("demo-data", "--scale", "tiny", "--seed", "5", "--db", str(db))
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(db) as con:
        email, first, last = con.execute(
            "SELECT email, first_name, last_name FROM crm_contact WHERE email IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
        tagged = email.replace("@", "+deals@")
        for label, mentioned in (("sponsor link #7", email), (tagged, tagged)):
            con.execute(
                "INSERT INTO audit_auditevent (at, kind, actor_label, ip, subject, detail, mentions) "
                "VALUES ('2026-11-30 10:00:00', 'portal.opened', ?, '192.0.2.9', ?, ?, ?)",
                (label, f"{first} {last}", f'{{"who": "{mentioned}"}}', mentioned),
            )
    files = lambda: b"".join(p.read_bytes() for p in tmp_path.glob("company.db*"))  # noqa: E731
    assert email.encode() in files() and tagged.encode() in files()
    erased = run_referly("forget", email, "--yes", "--db", str(db))
    assert erased.returncode == 0, erased.stderr
    left = files()
    for trace in (email, tagged, email.split("@")[0] + "+deals", f"{first} {last}"):
        assert trace.encode() not in left, trace
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM audit_auditevent WHERE kind = 'portal.opened'").fetchone() == (2,)
