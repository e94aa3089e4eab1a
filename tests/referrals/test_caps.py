"""Ask caps and cool-downs: the pure rule, the ledger that enforces it, and the referral that asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import NotPermitted
from referly.referrals.caps import AskRules, PastAsk, judge
from referly.referrals.ledger import record_ask, settle
from referly.referrals.models import Ask, Referral
from referly.referrals.services import advance
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
RULES = AskRules(per_contact=2, per_account=4, cooldown_days=90)

past_asks = st.lists(
    st.builds(
        PastAsk,
        contact_id=st.sampled_from([1, 2, 3]),
        account_id=st.sampled_from([10, 20]),
        asked_at=st.integers(0, 400).map(lambda d: NOW - timedelta(days=d)),
        outcome=st.sampled_from(["pending", "accepted", "declined", "no_response"]),
        outcome_at=st.none(),
    ),
    max_size=12,
)


@given(past_asks)
def test_a_contact_at_the_cap_is_never_allowed_and_one_below_it_is_unless_another_rule_holds(
    ledger: list[PastAsk],
) -> None:
    verdict = judge(1, 10, ledger, NOW, RULES)
    recent = [a for a in ledger if a.asked_at > NOW - timedelta(days=91)]
    mine = [a for a in recent if a.contact_id == 1]
    at_account = [a for a in recent if a.account_id == 10]
    cooling = any(
        a.contact_id == 1 and a.outcome == "declined" and a.asked_at > NOW - timedelta(days=90) for a in ledger
    )
    assert verdict.allowed == (len(mine) < 2 and len(at_account) < 4 and not cooling)
    assert verdict.forbidden == ()


@given(past_asks, st.booleans(), st.booleans())
def test_do_not_contact_and_opt_out_always_forbid(ledger: list[PastAsk], dnc: bool, opted_out: bool) -> None:
    verdict = judge(1, 10, ledger, NOW, RULES, do_not_contact=dnc, opted_out=opted_out)
    assert bool(verdict.forbidden) == (dnc or opted_out)
    if dnc or opted_out:
        assert not verdict.allowed


def test_the_cooldown_runs_from_the_decline_and_ends_after_it() -> None:
    declined = [PastAsk(1, 10, NOW - timedelta(days=120), "declined", NOW - timedelta(days=80))]
    assert "cooling down until 2026-11-11" in judge(1, 10, declined, NOW, RULES).limits[0]
    assert judge(1, 10, declined, NOW + timedelta(days=11), RULES).allowed


@pytest.fixture
def sponsor(db: object) -> object:
    return make_contact(make_account("Client Co", lifecycle="client"), first_name="Sam", last_name="Sponsor")


def test_the_third_ask_in_a_quarter_is_refused_with_its_dates_and_nothing_is_written(sponsor: object) -> None:
    for days in (60, 10):
        record_ask(sponsor.pk, asked_by=None, now=NOW - timedelta(days=days))  # type: ignore[attr-defined]
    with pytest.raises(NotPermitted, match=r"asked 2 times within a quarter \(2026-09-02, 2026-10-22\)"):
        record_ask(sponsor.pk, asked_by=None, now=NOW)  # type: ignore[attr-defined]
    assert Ask.objects.count() == 2


def test_a_back_dated_ask_cannot_slip_under_the_cap(sponsor: object) -> None:
    for days in (1, 0):
        record_ask(sponsor.pk, asked_by=None, now=NOW - timedelta(days=days))  # type: ignore[attr-defined]
    with pytest.raises(NotPermitted, match="asked 2 times within a quarter"):
        record_ask(sponsor.pk, asked_by=None, now=NOW - timedelta(days=30))  # type: ignore[attr-defined]


def test_an_override_needs_a_reason_and_the_reason_is_kept(sponsor: object) -> None:
    first = record_ask(sponsor.pk, asked_by=None, now=NOW - timedelta(days=5))  # type: ignore[attr-defined]
    settle(first.pk, "declined", NOW - timedelta(days=4))
    with pytest.raises(NotPermitted, match="cooling down"):
        record_ask(sponsor.pk, kind="case_study", asked_by=None, now=NOW, override_reason="  ")  # type: ignore[attr-defined]
    made = record_ask(sponsor.pk, kind="case_study", asked_by=None, now=NOW, override_reason="They offered")  # type: ignore[attr-defined]
    assert (made.kind, made.override_reason) == ("case_study", "They offered")


def test_an_opted_out_contact_cannot_be_asked_even_with_a_reason(db: object) -> None:
    shy = make_contact(opted_out_of_asks=True)
    with pytest.raises(NotPermitted, match="opted out"):
        record_ask(shy.pk, asked_by=None, now=NOW, override_reason="the CEO insists")
    assert not Ask.objects.exists()


def test_every_account_contact_counts_toward_the_account_cap(db: object) -> None:
    client = make_account("Busy Client", lifecycle="client")
    people = [make_contact(client) for _ in range(5)]
    for person in people[:4]:
        record_ask(person.pk, asked_by=None, now=NOW - timedelta(days=3))
    with pytest.raises(NotPermitted, match="account was asked 4 times"):
        record_ask(people[4].pk, asked_by=None, now=NOW)


def test_requesting_a_referral_is_an_ask_and_respects_the_cap(sponsor: object) -> None:
    owner = make_teammate("Alice Martin")
    referrals = [
        Referral.objects.create(
            referrer_contact=sponsor,
            referrer_account=sponsor.account,  # type: ignore[attr-defined]
            target_account=make_account(),
            owner=owner,
            created_at=NOW,
            stage_changed_at=NOW,
        )
        for _ in range(3)
    ]
    for r in referrals[:2]:
        advance(r.pk, "requested", actor=owner, now=NOW)
    with pytest.raises(NotPermitted, match="the cap is 2"):
        advance(referrals[2].pk, "requested", actor=owner, now=NOW)
    referrals[2].refresh_from_db()
    assert (referrals[2].stage, referrals[2].version) == ("identified", 1)  # the refusal left nothing behind
    advance(referrals[2].pk, "requested", actor=owner, now=NOW, override_reason="They asked us to")
    asks = Ask.objects.filter(contact=sponsor).order_by("id")
    assert [a.referral_id for a in asks] == [r.pk for r in referrals]
    assert asks.last().override_reason == "They asked us to"  # type: ignore[union-attr]
    advance(referrals[0].pk, "declined", actor=owner, now=NOW + timedelta(days=2))
    assert Ask.objects.get(referral=referrals[0]).outcome == "declined"  # the decline starts the cool-down
