"""Job changes seen in mail: a known person writing from a new employer moves there, and the scoring
turns the move into a warm path (their former colleagues can introduce them) and, when a moment rule
for job changes is set, into a moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referly.capture.mail import capture_files
from referly.crm.models import Contact, Employment, Interaction, Signal
from referly.scoring.queries import latest_run, run_actions
from referly.scoring.services import score_database
from tests.capture.mailbox_files import message, takeout_mbox
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MOVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ALICE = "Alice Martin <alice@northbeam.example>"


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    acme = make_account("Acme", domain="acme.example", lifecycle="client", client_since=date(2024, 1, 1), country="US")
    globex = make_account("Globex", domain="globex.example", lifecycle="prospect", employees=300, country="US")
    return {
        "alice": make_teammate("Alice Martin", email="alice@northbeam.example"),
        "acme": acme,
        "globex": globex,
        "jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example", role="champion"),
    }


def capture(tmp_path: Path, mail: list[bytes]) -> Any:
    return capture_files([takeout_mbox(tmp_path / "mail.mbox", mail)], owner=None, now=NOW)


def exchanges(person: str, start: datetime, days: int, tag: str) -> list[bytes]:
    """A message each way with ``person`` every few days."""
    mail = []
    for n, day in enumerate(range(0, days, 4)):
        at = start + timedelta(days=day)
        mail.append(message(ALICE, person, at, message_id=f"{tag}-out{n}@northbeam.example"))
        mail.append(message(person, ALICE, at + timedelta(hours=3), message_id=f"{tag}-in{n}@x.example"))
    return mail


def test_a_known_name_writing_from_another_account_moves_there_once(world: dict[str, Any], tmp_path: Path) -> None:
    mail = [
        *exchanges("Jane Roe <jane@acme.example>", datetime(2026, 9, 1, 9, tzinfo=UTC), 12, "old"),
        message("Jane Roe <jane.roe@globex.example>", ALICE, MOVED, message_id="new@globex.example"),
    ]
    first = capture(tmp_path, mail)
    jane = Contact.objects.get(pk=world["jane"].pk)
    assert (jane.account, jane.email) == (world["globex"], "jane.roe@globex.example")
    assert first.people["job changes"] == 1 and "created" not in first.people
    signal = Signal.objects.get(kind="job_change")
    assert (signal.contact, signal.account, signal.occurred_on) == (jane, world["globex"], MOVED.date())
    assert signal.detail == "from Acme (a new address in captured mail)"
    stints = (
        Employment.objects.filter(contact=jane).order_by("id").values_list("company_name", "started_on", "ended_on")
    )
    assert list(stints) == [("Acme", None, MOVED.date()), ("Globex", MOVED.date(), None)]
    assert Interaction.objects.filter(contact=jane).count() == first.added == len(mail)

    # Next time her old address is unknown; its mail predates her stint at Globex: it is hers, and moves nothing.
    again = capture(tmp_path, mail)
    jane.refresh_from_db()
    assert (jane.account, again.added, again.people["job changes"]) == (world["globex"], 0, 0)
    assert Signal.objects.filter(kind="job_change").count() == 1
    assert Contact.objects.count() == 1


def test_a_name_shared_by_two_people_or_with_someone_at_the_same_account_moves_nobody(
    world: dict[str, Any], tmp_path: Path
) -> None:
    initech = make_account("Initech", domain="initech.example")
    make_contact(world["acme"], first_name="Sam", last_name="Poe")
    make_contact(initech, first_name="Sam", last_name="Poe")
    make_contact(world["globex"], first_name="Tom", last_name="Ray", email="tom@globex.example")
    summary = capture(tmp_path, [
        message("Sam Poe <sam@globex.example>", ALICE, MOVED, message_id="sam@globex.example"),
        message("Tom Ray <t.ray@globex.example>", ALICE, MOVED, message_id="tom@globex.example"),
    ])  # fmt: skip
    assert summary.people["job changes"] == 0 and summary.people["created"] == 2
    assert not Signal.objects.exists()
    assert Contact.objects.filter(first_name="Sam").count() == 3


def test_an_erased_contact_is_never_found_by_name(world: dict[str, Any], tmp_path: Path) -> None:
    Contact.objects.filter(pk=world["jane"].pk).update(erased_at=NOW, email=None)
    summary = capture(tmp_path, [message("Jane Roe <jane.roe@globex.example>", ALICE, MOVED, message_id="j@g")])
    assert summary.people["job changes"] == 0
    assert Contact.objects.get(pk=world["jane"].pk).account == world["acme"]


def actions() -> list[dict[str, Any]]:
    """The latest run's next best actions, best first."""
    run = latest_run()
    assert run is not None
    return [
        {
            "sponsor": a.sponsor.name,
            "target": a.target_contact.name,
            "account": a.target_account.name,
            "components": a.components,
            "explanation": a.explanation,
        }
        for a in run_actions(run)
    ]


def test_a_champion_who_leaves_a_client_for_a_prospect_is_a_warm_path_through_her_former_colleagues(
    world: dict[str, Any], tmp_path: Path
) -> None:
    acme, jane = world["acme"], world["jane"]
    bob = make_contact(acme, first_name="Bob", last_name="Stay", email="bob@acme.example")
    Employment.objects.create(contact=jane, company_name="Acme", company_key="acme", account=acme,
                              started_on=date(2021, 1, 1))  # fmt: skip
    Employment.objects.create(contact=bob, company_name="Acme", company_key="acme", account=acme,
                              started_on=date(2020, 6, 1))  # fmt: skip
    mail = exchanges("Bob Stay <bob@acme.example>", datetime(2026, 10, 1, 9, tzinfo=UTC), 60, "bob")
    mail.append(message("Jane Roe <jane.roe@globex.example>", ALICE, MOVED, message_id="new@globex.example"))
    assert capture(tmp_path, mail).people["job changes"] == 1

    score_database(date(2026, 12, 1), [])
    (action,) = actions()
    assert (action["sponsor"], action["target"], action["account"]) == ("Bob Stay", "Jane Roe", "Globex")
    assert action["components"]["tie_kind"] == "former_colleagues"
    assert action["components"]["moment"] is None  # no moment rule for job changes in the shipped settings
    assert (
        "Bob Stay (contact at Acme) can introduce Jane Roe (contact at Globex): former colleagues"
        in (action["explanation"])
    )


def test_a_move_to_a_client_opens_a_moment_when_the_settings_have_a_rule_for_job_changes(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    initech = make_account("Initech", domain="initech.example", lifecycle="prospect", employees=120, country="US")
    tom = make_contact(initech, first_name="Tom", last_name="Ray", email="tom@initech.example")
    uma = make_contact(initech, first_name="Uma", last_name="Left", email="uma@initech.example")
    Employment.objects.create(contact=tom, company_name="Initech", company_key="initech", account=initech,
                              started_on=date(2020, 1, 1))  # fmt: skip
    Employment.objects.create(contact=uma, company_name="Initech", company_key="initech", account=initech,
                              started_on=date(2019, 1, 1))  # fmt: skip
    # Tom, new at our client Acme, writes from there: now a possible sponsor, with a way back into Initech.
    capture(tmp_path, exchanges("Tom Ray <tom.ray@acme.example>", MOVED, 24, "tom"))
    assert Contact.objects.get(pk=tom.pk).account == world["acme"]

    score_database(date(2026, 12, 1), [])
    (plain,) = actions()
    assert (plain["sponsor"], plain["account"], plain["components"]["moment"]) == ("Tom Ray", "Initech", None)

    settings = tmp_path / "scoring.toml"
    settings.write_text("[moments.job_change]\ndays = 90\nstrength = 0.8\n")
    monkeypatch.setenv("REFERLY_SCORING", str(settings))
    score_database(date(2026, 12, 1), [])
    (timely,) = actions()
    assert timely["components"]["moment"] == "job_change"
    assert timely["components"]["moment_strength"] == pytest.approx(0.8 * (1 - 29 / 90), abs=1e-3)
    assert "Now is a good time: job_change (from Initech (a new address in captured mail))" in timely["explanation"]
