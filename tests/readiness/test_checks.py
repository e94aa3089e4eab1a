"""Readiness checks: each list says, from the counts alone, why it is empty and what fills it."""

from __future__ import annotations

from referly.readiness.checks import Counts, actions, assess, sponsors, warm_paths


def test_no_client_says_there_is_no_lifecycle_and_no_won_deal_and_how_to_fix_it() -> None:
    line = sponsors(Counts(accounts=85, prospects=85, contacts=300, contacts_at_prospects=300))
    assert line.status == "empty"
    assert "0 accounts are clients (no lifecycle column, no won deal linked to an account)" in line.sentence
    assert "referly import opportunities" in line.command and line.page == "web:import"


def test_a_crm_export_alone_gives_sponsors_ranked_on_what_is_known_and_asks_for_a_mailbox() -> None:
    counts = Counts(
        accounts=2,
        clients_from_deals=1,
        prospects=1,
        contacts=3,
        contacts_at_clients=2,
        contacts_at_prospects=1,
        crm_activity=5,
        client_contacts_touched=1,
    )
    line = sponsors(counts)
    assert line.status == "thin"
    assert "no NPS" in line.sentence and "proximity from CRM activity dates only" in line.sentence
    paths = warm_paths(counts)
    assert paths.status == "empty" and "Connect a mailbox" in paths.sentence and paths.page == "web:sources"


def test_actions_say_every_path_was_left_out_and_the_run_says_why() -> None:
    run = {"actions": 0, "skipped.late_deal": 1, "gated.detractor": 2}
    counts = Counts(
        accounts=2,
        clients_recorded=1,
        prospects=1,
        contacts=2,
        contacts_at_clients=1,
        contacts_at_prospects=1,
        interactions=9,
        client_contacts_touched=1,
        client_prospect_ties=1,
        nps_answers=2,
        run=run,
    )
    assert actions(counts).status == "empty" and "1 warm path found, and left out" in actions(counts).sentence
    said = assess(counts).left_out
    assert "1 warm path skipped: the target has a late-stage deal." in said
    assert "2 possible sponsors gated: detractor NPS." in said


def test_every_line_of_an_empty_database_names_a_fix() -> None:
    found = assess(Counts())
    assert all(line.status != "ok" for line in found.features)
    assert all(line.command or line.page for line in found.lines if line.status != "ok")
    assert len({line.anchor for line in found.lines}) == len(found.lines)
