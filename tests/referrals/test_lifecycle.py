"""The referral lifecycle: every allowed and forbidden move, the version check, opt-in and credit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from referly.crm.models import Opportunity
from referly.errors import Conflict
from referly.referrals.lifecycle import CLOSED, NEXT, check_transition
from referly.referrals.models import Referral, ReferralTransition
from referly.referrals.services import advance
from tests.factories import make_account, make_contact, make_teammate

STAGES = list(NEXT)
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("current", STAGES)
@pytest.mark.parametrize("target", STAGES)
def test_each_move_is_allowed_exactly_when_the_lifecycle_says_so(current: str, target: str) -> None:
    if target in NEXT[current]:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict, match=current):
            check_transition(current, target)


@given(st.lists(st.sampled_from(STAGES), max_size=15))
def test_any_sequence_of_attempts_only_takes_allowed_steps_and_closed_is_final(attempts: list[str]) -> None:
    stage = "identified"
    for target in attempts:
        try:
            check_transition(stage, target)
        except Conflict:
            continue
        assert stage not in CLOSED and target in NEXT[stage]
        stage = target
    assert stage in NEXT


@pytest.fixture
def referral(db: object) -> Referral:
    owner = make_teammate("Alice Martin")
    client = make_account("Client Co", lifecycle="client")
    target = make_account("Target Co")
    return Referral.objects.create(
        referrer_contact=make_contact(client),
        referrer_account=client,
        target_account=target,
        target_contact=make_contact(target),
        owner=owner,
        created_at=NOW,
        stage_changed_at=NOW,
    )


def test_a_stale_version_is_refused_and_nothing_is_written(referral: Referral) -> None:
    advance(referral.pk, "requested", actor=None, now=NOW, expected_version=1)
    with pytest.raises(Conflict, match="you had version 1, it is now 2"):
        advance(referral.pk, "withdrawn", actor=None, now=NOW, expected_version=1)
    referral.refresh_from_db()
    assert (referral.stage, referral.version) == ("requested", 2)
    assert ReferralTransition.objects.filter(referral=referral).count() == 1


def test_an_introduction_needs_the_referrers_confirmation(referral: Referral) -> None:
    advance(referral.pk, "requested", actor=None, now=NOW)
    with pytest.raises(Conflict, match="Double opt-in"):
        advance(referral.pk, "introduced", actor=None, now=NOW)
    moved = advance(referral.pk, "introduced", actor=None, now=NOW, consent=True)
    assert moved.consent_confirmed_at == NOW


def test_reaching_opportunity_creates_a_sourced_deal_and_winning_closes_it(referral: Referral) -> None:
    for stage in ("requested", "introduced", "meeting", "opportunity"):
        advance(referral.pk, stage, actor=referral.owner, now=NOW, consent=True, note=f"to {stage}")
    referral.refresh_from_db()
    deal = Opportunity.objects.get(pk=referral.opportunity_id)
    assert (deal.source, deal.referring_contact_id, deal.referring_account_id) == (
        "referral",
        referral.referrer_contact_id,
        referral.referrer_account_id,
    )
    assert referral.attribution == "sourced"
    advance(referral.pk, "won", actor=referral.owner, now=NOW)
    deal.refresh_from_db()
    assert (deal.stage, deal.closed_on) == ("won", NOW.date())
    trail = list(referral.transitions.values_list("from_stage", "to_stage", "note"))
    assert trail[-1] == ("opportunity", "won", "")
    assert len(trail) == 5


def test_a_target_already_in_pipeline_is_linked_and_credited_as_influenced(referral: Referral) -> None:
    existing = Opportunity.objects.create(account=referral.target_account, name="Open deal", created_on=NOW.date())
    for stage in ("requested", "introduced", "opportunity"):
        advance(referral.pk, stage, actor=None, now=NOW, consent=True)
    referral.refresh_from_db()
    assert referral.opportunity_id == existing.pk
    assert referral.attribution == "influenced"


@pytest.mark.django_db
def test_from_the_top_action_to_a_won_deal_on_the_command_line(cli: Callable[..., Result]) -> None:
    import json

    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    assert cli("score", "--as-of", "2026-11-01").exit_code == 0
    top = json.loads(cli("actions", "--json", "--limit", "1").output)[0]
    script = cli("script", str(top["id"]), "--channel", "email", "--lang", "fr")
    assert script.exit_code == 0 and script.output.startswith("Subject: ")
    assert f"Bonjour {top['sponsor'].split()[0]}," in script.output and top["target_contact"] in script.output
    assert cli("referral", "create", "--action", str(top["id"]), "--lang", "fr").exit_code == 0
    made = json.loads(cli("referral", "list", "--json", "--limit", "1").output)[0]
    rid = str(made["id"])
    assert made["stage"] == "identified" and made["target_account"] == top["target_account"]
    assert made["script"].startswith(("email/", "linkedin/", "talking-points/")) and made["script"].endswith("/fr")
    refused = cli("referral", "advance", rid, "won")
    assert refused.exit_code == 4 and "cannot go from identified to won" in refused.output
    for step in (["requested"], ["introduced", "--consent"], ["opportunity"], ["won", "--version", "4"]):
        result = cli("referral", "advance", rid, *step)
        assert result.exit_code == 0, result.output
    assert "Close the loop" in result.output and "Subject: Merci" in result.output
    shown = json.loads(cli("referral", "show", rid, "--json").output)
    assert shown["stage"] == "won" and shown["attribution"] == "sourced"
    asks = json.loads(cli("ask", "list", "--json", "--limit", "1").output)
    assert asks[0]["referral"] == shown["id"] and asks[0]["outcome"] == "accepted"
    assert [t["to"] for t in shown["transitions"]] == ["identified", "requested", "introduced", "opportunity", "won"]
    deal = Opportunity.objects.get(pk=shown["opportunity"])
    assert deal.stage == "won" and deal.referring_contact.name == top["sponsor"]


@pytest.mark.django_db
def test_an_explicit_referral_records_a_new_person_with_minimal_data(cli: Callable[..., Result]) -> None:
    owner = make_teammate("Alice Martin")
    sponsor = make_contact(make_account(lifecycle="client"))
    target = make_account("Target Co", domain="target.example")
    both = cli("referral", "create", "--action", "1", "--referrer", sponsor.email or "")
    assert both.exit_code == 2 and "Give either --action ID or" in both.output
    explicit = ["referral", "create", "--referrer", sponsor.email or "", "--owner", owner.email or ""]
    missing = cli(*explicit, "--target-account", "target.example", "--target-contact", "omar@target.example")
    assert missing.exit_code == 3 and "give --target-name" in missing.output
    made = cli(
        *explicit,
        "--target-account",
        "https://target.example/",
        "--target-contact",
        "Omar@Target.example",
        "--target-name",
        "Omar Haddad",
        "--target-title",
        "COO",
        "--channel",
        "call",
    )
    assert made.exit_code == 0, made.output
    referral = Referral.objects.select_related("target_contact").get()
    person = referral.target_contact
    assert person is not None and referral.target_account == target
    assert (person.first_name, person.last_name, person.email, person.title, person.phone) == (
        "Omar",
        "Haddad",
        "omar@target.example",
        "COO",
        "",
    )
    assert (referral.channel, referral.script_key) == ("call", "talking-points/none/en")
