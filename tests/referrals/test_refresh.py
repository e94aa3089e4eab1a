"""The daily refresh (silence becomes no_response, closed deals move referrals) and close-the-loop drafts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from referly.crm.models import Opportunity
from referly.referrals.models import Ask, Referral
from referly.referrals.services import advance, create, refresh
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture
def referral(db: object) -> Referral:
    owner = make_teammate("Alice Martin")
    sponsor = make_contact(make_account("Brightpath", lifecycle="client"), first_name="Chloé", last_name="Martin")
    target = make_account("Lumen Freight")
    person = make_contact(target, first_name="Omar", last_name="Haddad")
    return create(sponsor, target.pk, person, owner, now=NOW, actor=owner, script="email/renewal/fr")


def test_an_ask_left_unanswered_for_21_days_becomes_no_response_and_not_a_day_sooner(referral: Referral) -> None:
    advance(referral.pk, "requested", actor=None, now=NOW)
    assert refresh(NOW + timedelta(days=20, hours=23), silence_days=21)["no_response"] == 0
    assert refresh(NOW + timedelta(days=21), silence_days=21)["no_response"] == 1
    referral.refresh_from_db()
    assert referral.stage == "no_response"
    assert referral.transitions.last().note == "No answer in 21 days"  # type: ignore[union-attr]
    assert Ask.objects.get(referral=referral).outcome == "no_response"


def test_a_deal_won_in_the_crm_moves_its_referral_to_won(referral: Referral) -> None:
    for stage in ("requested", "introduced", "opportunity"):
        advance(referral.pk, stage, actor=None, now=NOW, consent=True)
    referral.refresh_from_db()
    Opportunity.objects.filter(pk=referral.opportunity_id).update(stage="won", closed_on=NOW.date())
    assert refresh(NOW + timedelta(days=30))["followed_deals"] == 1
    referral.refresh_from_db()
    assert (referral.stage, referral.attribution) == ("won", "sourced")
    assert refresh(NOW + timedelta(days=31)) == {"no_response": 0, "followed_deals": 0, "credit_changes": 0}


def test_introduced_opportunity_and_won_each_leave_a_thank_you_draft_in_the_referrals_language(
    referral: Referral,
) -> None:
    for stage in ("requested", "introduced", "meeting", "opportunity", "won"):
        advance(referral.pk, stage, actor=None, now=NOW, consent=True)
    drafts = dict(referral.transitions.values_list("to_stage", "draft"))
    assert {stage for stage, draft in drafts.items() if draft} == {"introduced", "opportunity", "won"}
    assert drafts["won"].startswith("Subject: Merci, Chloé")
    assert "Lumen Freight vient de devenir client" in drafts["won"]
    assert "votre mise en relation avec Omar Haddad a abouti" in drafts["introduced"]


def test_importing_a_crm_deal_as_won_moves_the_referral_linked_to_it(
    referral: Referral, cli: Callable[..., Result], tmp_path: Path
) -> None:
    deals, mapping = tmp_path / "deals.csv", tmp_path / "crm.toml"
    mapping.write_text('[opportunities.references]\naccount = { by = "domain", create = false }\n')
    domain = referral.target_account.domain
    deals.write_text(f"external_id,account,name,stage,created_on\nd-9,{domain},Freight,qualification,2026-10-01\n")
    assert cli("import", "opportunities", str(deals), "--mapping", str(mapping)).exit_code == 0
    for stage in ("requested", "introduced", "opportunity"):
        advance(referral.pk, stage, actor=None, now=NOW, consent=True)
    referral.refresh_from_db()
    assert referral.attribution == "influenced" and referral.opportunity.external_id == "d-9"  # type: ignore[union-attr]
    deals.write_text(deals.read_text().replace("qualification", "won"))
    assert cli("import", "opportunities", str(deals), "--mapping", str(mapping)).exit_code == 0
    referral.refresh_from_db()
    assert (referral.stage, referral.attribution, referral.opportunity.external_id) == ("won", "influenced", "d-9")  # type: ignore[union-attr]
    assert referral.transitions.last().note == "The deal was won in the CRM"  # type: ignore[union-attr]


def test_a_suspected_deal_is_named_not_linked_and_stays_suspected(referral: Referral) -> None:
    from referly.referrals.services import recompute_credit
    from tests.factories import make_opportunity

    advance(referral.pk, "requested", actor=None, now=NOW)
    advance(referral.pk, "introduced", actor=None, now=NOW, consent=True)
    won = make_opportunity(referral.target_account, stage="won", created_on=NOW.date() + timedelta(days=10))
    recompute_credit()
    referral.refresh_from_db()
    assert (referral.attribution, referral.opportunity_id) == ("suspected", None)
    assert f"deal {won.pk}" in referral.credit_note
    assert recompute_credit() == 0
    assert refresh(NOW + timedelta(days=40))["followed_deals"] == 0  # an unconfirmed deal never moves it
