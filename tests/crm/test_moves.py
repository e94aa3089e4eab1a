"""Job changes: the stints, the signal, the former colleagues, and what never moves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from referly.crm.models import Connection, ConnectionKind, Contact, Employment, Signal, SignalKind
from referly.crm.moves import move_contact, namesake_elsewhere, person_key
from tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db
MOVED_ON = date(2026, 10, 1)


def stints(contact: Contact) -> list[tuple[str, date | None, date | None]]:
    rows = Employment.objects.filter(contact=contact).order_by("id")
    return [(e.company_name, e.started_on, e.ended_on) for e in rows]


def job_changes(contact: Contact) -> list[tuple[str, date, str]]:
    rows = Signal.objects.filter(contact=contact, kind=SignalKind.JOB_CHANGE)
    return [(s.account.name, s.occurred_on, s.detail) for s in rows]


def test_a_move_without_history_ends_a_stint_made_from_the_account_and_starts_the_new_one(db: Any) -> None:
    acme, globex = make_account("Acme", lifecycle="client"), make_account("Globex")
    jane = make_contact(acme, first_name="Jane", last_name="Roe", title="Head of Ops")
    assert move_contact(jane, globex, MOVED_ON, provenance="import of contacts.csv") is True
    jane.refresh_from_db()
    assert jane.account == globex
    assert stints(jane) == [("Acme", None, MOVED_ON), ("Globex", MOVED_ON, None)]
    assert Employment.objects.get(contact=jane, account=acme).title == "Head of Ops"
    assert job_changes(jane) == [("Globex", MOVED_ON, "from Acme (import of contacts.csv)")]


def test_a_move_ends_the_current_stint_and_is_recorded_once(db: Any) -> None:
    acme, globex = make_account("Acme"), make_account("Globex")
    jane = make_contact(acme)
    Employment.objects.create(contact=jane, company_name="Initech", company_key="initech",
                              started_on=date(2015, 1, 1), ended_on=date(2019, 1, 1))  # fmt: skip
    Employment.objects.create(contact=jane, company_name="Acme", company_key="acme", account=acme,
                              started_on=date(2019, 2, 1))  # fmt: skip
    assert move_contact(jane, globex, MOVED_ON, provenance="test") is True
    assert move_contact(jane, globex, MOVED_ON, provenance="test") is False  # already there
    fresh = Contact.objects.get(pk=jane.pk)
    assert move_contact(fresh, globex, MOVED_ON, provenance="test") is False
    assert stints(jane) == [
        ("Initech", date(2015, 1, 1), date(2019, 1, 1)),
        ("Acme", date(2019, 2, 1), MOVED_ON),
        ("Globex", MOVED_ON, None),
    ]
    assert len(job_changes(jane)) == 1


def test_moving_back_and_forth_on_one_day_keeps_one_signal_per_account(db: Any) -> None:
    acme, globex = make_account("Acme"), make_account("Globex")
    jane = make_contact(acme)
    assert move_contact(jane, globex, date(2026, 3, 1), provenance="test")
    assert move_contact(jane, acme, date(2026, 6, 1), provenance="test")
    assert [a for a, _, _ in job_changes(jane)] == ["Acme", "Globex"]
    assert Employment.objects.filter(contact=jane, ended_on=None).get().account == acme


def test_old_evidence_never_undoes_a_newer_move(db: Any) -> None:
    acme, globex = make_account("Acme"), make_account("Globex")
    jane = make_contact(acme)
    assert move_contact(jane, globex, MOVED_ON, provenance="test")
    assert move_contact(jane, acme, date(2026, 5, 1), provenance="mail from her old address") is False
    assert move_contact(jane, acme, MOVED_ON, provenance="same day") is False
    jane.refresh_from_db()
    assert jane.account == globex and len(job_changes(jane)) == 1


def test_an_erased_contact_never_moves(db: Any) -> None:
    acme, globex = make_account("Acme"), make_account("Globex")
    jane = make_contact(acme)
    Contact.objects.filter(pk=jane.pk).update(erased_at=datetime(2026, 9, 1, tzinfo=UTC), first_name="", email=None)
    jane.refresh_from_db()
    assert move_contact(jane, globex, MOVED_ON, provenance="test") is False
    assert Contact.objects.get(pk=jane.pk).account == acme
    assert not Employment.objects.filter(contact=jane).exists()
    assert not Signal.objects.filter(contact=jane).exists()


def test_leaving_makes_former_colleagues_of_those_who_stay(db: Any) -> None:
    acme, globex = make_account("Acme", lifecycle="client"), make_account("Globex")
    jane, bob, newcomer = make_contact(acme), make_contact(acme), make_contact(acme)
    for person, start in ((jane, date(2021, 1, 1)), (bob, date(2020, 6, 1)), (newcomer, date(2026, 8, 1))):
        Employment.objects.create(contact=person, company_name="Acme", company_key="acme", account=acme,
                                  started_on=start)  # fmt: skip
    move_contact(jane, globex, MOVED_ON, provenance="test")
    tie = Connection.objects.get(kind=ConnectionKind.FORMER_COLLEAGUES)
    assert {tie.from_contact_id, tie.to_contact_id} == {jane.pk, bob.pk}  # two months with the newcomer: no tie
    assert tie.provenance == "Worked together at Acme" and tie.confidence == 0.8
    assert tie.since == date(2021, 1, 1)


def test_names_fold_accents_case_and_spaces_and_need_both_parts() -> None:
    assert person_key("Hélène ", "MÜLLER") == person_key("helene", "muller") == "helene muller"
    assert person_key("Łukasz", "Wójcik") == "łukasz wojcik"
    assert person_key("王", "伟") == "王 伟"
    assert person_key("Jane", "") == person_key("", "Roe") == ""


def test_a_namesake_is_a_move_only_when_alone_and_elsewhere() -> None:
    assert namesake_elsewhere([(7, 1)], 2) == 7
    assert namesake_elsewhere([(7, 1)], 1) is None  # a second address at the same company
    assert namesake_elsewhere([(7, 1), (8, 3)], 2) is None  # two people of that name: never guessed
    assert namesake_elsewhere([], 2) is None
