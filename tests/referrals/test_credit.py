"""Credit rules: duplicates, influenced, sourced, suspected; deterministic, and merges lose nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from referly.crm.models import Account
from referly.ingest.dedupe import merge
from referly.referrals.credit import Deal, Registration, assign
from referly.referrals.models import Referral
from referly.referrals.services import advance, create
from tests.factories import make_account, make_contact, make_opportunity, make_teammate

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def reg(id: int, day: int, account: int = 1, email: str | None = None, **kw: object) -> Registration:
    fields: dict[str, object] = {"ended_unintroduced_at": None, "opportunity_id": None} | kw
    return Registration(id, T0 + timedelta(days=day), account, email, **fields)  # type: ignore[arg-type]


registrations = st.lists(
    st.builds(
        reg,
        id=st.integers(1, 10_000),
        day=st.integers(0, 400),
        account=st.sampled_from([1, 2, 3]),
        email=st.sampled_from([None, "a@x.example", "b@x.example"]),
    ),
    max_size=12,
    unique_by=lambda r: r.id,
)


DEALS = [
    Deal(1, 1, date(2025, 12, 1), None, "proposal", "outbound"),
    Deal(2, 2, date(2026, 2, 1), date(2026, 5, 1), "won", "inbound"),
    Deal(3, 3, date(2026, 3, 1), date(2026, 3, 20), "lost", "referral"),
]


@given(registrations, st.randoms())
def test_credit_does_not_depend_on_the_order_the_rows_arrive_in(regs: list[Registration], rnd: random.Random) -> None:
    shuffled, deals = regs[:], DEALS[:]
    rnd.shuffle(shuffled)
    rnd.shuffle(deals)
    assert assign(regs, DEALS) == assign(shuffled, deals)


@given(registrations)
def test_a_won_deal_is_credited_to_at_most_one_referral(regs: list[Registration]) -> None:
    credits = assign(regs, DEALS)
    credited = [c.opportunity_id for c in credits.values() if c.attribution in ("sourced", "suspected")]
    assert len(credited) == len(set(credited))


@given(registrations)
def test_duplicates_point_to_an_earlier_credited_referral_of_the_same_target_within_the_window(
    regs: list[Registration],
) -> None:
    credits = assign(regs, [], window_days=90)
    by_id = {r.id: r for r in regs}
    for rid, credit in credits.items():
        if credit.attribution != "duplicate":
            assert credit.duplicate_of is None
            continue
        first, later = by_id[credit.duplicate_of or 0], by_id[rid]
        assert credits[first.id].attribution != "duplicate"
        assert (first.created_at, first.id) < (later.created_at, later.id)
        assert later.created_at - first.created_at <= timedelta(days=90)
        assert first.target_account_id == later.target_account_id or first.target_email == later.target_email


@given(registrations)
def test_two_credited_referrals_of_one_account_are_always_more_than_the_window_apart(regs: list[Registration]) -> None:
    credits = assign(regs, [], window_days=90)
    credited = sorted((r for r in regs if credits[r.id].attribution != "duplicate"), key=lambda r: r.created_at)
    for a in credited:
        for b in credited:
            if a.id != b.id and a.target_account_id == b.target_account_id and a.created_at <= b.created_at:
                assert b.created_at - a.created_at > timedelta(days=90)


def test_a_referral_that_ended_before_an_introduction_holds_nothing_and_gets_no_credit() -> None:
    declined = reg(1, 0, ended_unintroduced_at=T0 + timedelta(days=10), opportunity_id=7)
    deals = [Deal(7, 1, date(2025, 12, 1), None, "proposal", "outbound")]
    credits = assign([declined, reg(2, 5), reg(3, 20)], deals)
    assert (credits[1].attribution, credits[1].reason) == ("pending", "ended before any introduction: no credit")
    assert credits[2].attribution == "influenced" and credits[3].duplicate_of == 2


def test_credit_is_stable_when_applied_to_its_own_result() -> None:
    deals = [Deal(30, 3, date(2026, 2, 15), date(2026, 4, 1), "won", "inbound")]
    first = assign([reg(3, 0, account=3)], deals)
    assert (first[3].attribution, first[3].opportunity_id) == ("suspected", 30)
    # the store never links a suspected deal, so the next pass sees the same input and says the same
    assert assign([reg(3, 0, account=3)], deals) == first


def test_the_same_person_at_another_account_is_still_the_same_target() -> None:
    credits = assign([reg(1, 0, account=1, email="jo@x.example"), reg(2, 3, account=2, email="jo@x.example")], [])
    assert credits[2].duplicate_of == 1


def test_sourced_influenced_and_suspected() -> None:
    deals = [
        Deal(10, 1, date(2026, 1, 20), None, "qualification", "referral"),  # opened by referral 1
        Deal(20, 2, date(2025, 12, 1), None, "proposal", "outbound"),  # already open at account 2
        Deal(30, 3, date(2026, 2, 15), date(2026, 4, 1), "won", "inbound"),  # won, nobody linked it
    ]
    credits = assign([reg(1, 0, account=1, opportunity_id=10), reg(2, 0, account=2), reg(3, 0, account=3)], deals)
    assert (credits[1].attribution, credits[1].opportunity_id) == ("sourced", 10)
    assert (credits[2].attribution, credits[2].opportunity_id) == ("influenced", 20)
    assert (credits[3].attribution, credits[3].opportunity_id) == ("suspected", 30)
    assert "opened 45 days after" in credits[3].reason
    late = assign([reg(3, 0, account=3)], [Deal(30, 3, date(2026, 6, 1), None, "won", "inbound")])
    assert late[3].attribution == "pending"  # opened outside the window: no credit at all


def test_merging_two_target_accounts_makes_the_later_referral_a_duplicate_and_keeps_the_deal_credited(
    db: object,
) -> None:
    owner = make_teammate("Alice Martin")
    first_client, second_client = make_account(lifecycle="client"), make_account(lifecycle="client")
    acme, acme_dup = make_account("Acme", domain="acme.example"), make_account("ACME Inc", domain="acme-inc.example")
    early = create(make_contact(first_client), acme.pk, None, owner, now=T0, actor=None)
    late = create(make_contact(second_client), acme_dup.pk, None, owner, now=T0 + timedelta(days=3), actor=None)
    for stage in ("requested", "introduced", "opportunity"):
        advance(late.pk, stage, actor=owner, now=T0 + timedelta(days=5), consent=True)
    late.refresh_from_db()
    deal = late.opportunity_id
    assert (late.attribution, early.attribution) == ("sourced", "pending")
    merge("accounts", acme.pk, acme_dup.pk, now=T0 + timedelta(days=6))
    early.refresh_from_db()
    late.refresh_from_db()
    assert not Account.objects.filter(pk=acme_dup.pk).exists()
    assert (late.attribution, late.duplicate_of_id) == ("duplicate", early.pk)
    assert (early.attribution, early.opportunity_id) == ("sourced", deal)  # credit follows the first registration
    assert "through its duplicate referral" in early.credit_note


def test_a_referral_to_an_account_in_active_pipeline_is_influenced_from_the_start(db: object) -> None:
    owner = make_teammate("Alice Martin")
    target = make_account()
    open_deal = make_opportunity(target, stage="qualification", created_on=date(2025, 11, 1))
    made = create(make_contact(make_account(lifecycle="client")), target.pk, None, owner, now=T0, actor=None)
    assert (made.attribution, made.opportunity_id) == ("influenced", open_deal.pk)
    assert Referral.objects.get(pk=made.pk).credit_note.startswith(f"deal {open_deal.pk} was already open")


def test_a_change_to_one_referral_recomputes_exactly_what_a_full_pass_would(db: object) -> None:
    """Only the referrals sharing a target (account or e-mail, step by step) with the one that moved are
    recomputed: a full pass over every referral afterwards finds nothing left to change."""
    from referly.referrals.services import recompute_credit, sharing_a_target

    owner = make_teammate("Alice Martin")
    acme, other, elsewhere = make_account("Acme"), make_account("Other"), make_account("Elsewhere")
    jo = make_contact(acme, email="jo@acme.example")

    def sponsor() -> object:
        return make_contact(make_account(lifecycle="client"))

    first = create(sponsor(), acme.pk, jo, owner, now=T0, actor=None)
    jo.account = other  # Jo moved to Other: a referral to Jo there names the same person
    jo.save(update_fields=["account"])
    second = create(sponsor(), other.pk, jo, owner, now=T0 + timedelta(days=2), actor=None)
    third = create(sponsor(), other.pk, None, owner, now=T0 + timedelta(days=4), actor=None)
    apart = create(sponsor(), elsewhere.pk, None, owner, now=T0 + timedelta(days=4), actor=None)
    assert sharing_a_target(first.pk) == {first.pk, second.pk, third.pk}  # through jo's e-mail, then Other
    assert sharing_a_target(apart.pk) == {apart.pk}
    assert recompute_credit() == 0
    for stage in ("requested", "declined"):  # the first ends before an introduction: it holds nothing any more
        advance(first.pk, stage, actor=owner, now=T0 + timedelta(days=6))
        assert recompute_credit() == 0, "the scoped pass left a referral's credit behind"
    assert Referral.objects.get(pk=second.pk).attribution != "duplicate"
    assert Referral.objects.get(pk=third.pk).duplicate_of_id == second.pk
