"""What is new for a teammate becomes a notice, told once: new top actions, moments opening this week, stage
changes someone else made, credits; and a member sees only their own notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from referly.access.services import actor_for
from referly.crm.models import Teammate
from referly.notices.models import Notice
from referly.notices.news import tell_news
from referly.notices.queries import mine, unread_count
from referly.referrals import services
from referly.referrals.models import Referral
from referly.scoring.models import NextBestAction, ScoreRun
from tests.factories import make_account, make_contact
from tests.personas import make_login

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 3, 8, tzinfo=UTC)
WINDOWS = {"renewal": 60, "case_study": 30}


def teammate(email: str, name: str) -> Teammate:
    found = make_login(email, "member", name=name).teammate
    assert found is not None
    return found


def scored(owner: Teammate, moments: list[tuple[str, int] | None]) -> ScoreRun:
    run = ScoreRun.objects.create(as_of=NOW, settings_hash="test", started_at=NOW)
    client = make_account("Client Co", lifecycle="client")
    for rank, moment in enumerate(moments, start=1):
        sponsor = make_contact(client, first_name=f"Sponsor{rank}", last_name="Happy")
        target = make_contact(make_account(f"Target {rank}"), first_name="Tina", last_name=f"Target{rank}")
        parts = {} if moment is None else {"moment": moment[0], "moment_days_left": moment[1]}
        NextBestAction.objects.create(
            run=run,
            rank=rank,
            sponsor=sponsor,
            sponsor_account=client,
            owner=owner,
            target_account=target.account,
            target_contact=target,
            score=1 - rank / 10,
            channel="email",
            explanation="",
            components=parts,
        )
    return run


def test_the_top_actions_and_this_weeks_moments_are_told_once(db: object) -> None:
    ana = teammate("ana@ourco.example", "Ana Ruiz")
    # a renewal 3 days old (57 of 60 days left), a case study 20 days old, no moment, two more actions
    run = scored(ana, [("renewal", 57), ("case_study", 10), None, None, None])

    tell_news(ana, "en", NOW, run, WINDOWS)
    tell_news(ana, "en", NOW + timedelta(hours=1), run, WINDOWS)

    actions = Notice.objects.filter(teammate=ana, kind="action").order_by("created_at", "id")
    assert [n.text for n in actions] == [
        f"New top action: ask Sponsor{r} Happy (Client Co) for an introduction to Tina Target{r} (Target {r})"
        for r in (1, 2, 3)
    ]
    first = NextBestAction.objects.get(run=run, rank=1)
    assert actions[0].url == f"/actions/{first.pk}/send"
    (moment,) = Notice.objects.filter(teammate=ana, kind="moment")
    assert moment.text == "Sponsor1 Happy (Client Co) is in a good moment to ask: a renewal, 57 days left"

    rescored = scored(ana, [("renewal", 56)])  # the next day's run: the same moment is old news
    tell_news(ana, "fr", NOW + timedelta(days=1), rescored, WINDOWS)
    assert Notice.objects.filter(teammate=ana, kind="moment").count() == 2  # a new sponsor, a new moment
    newest = Notice.objects.filter(teammate=ana, kind="moment").order_by("-id").first()
    assert newest is not None and newest.text.startswith("Sponsor1 Happy (Client Co) est dans un bon moment")


def test_stage_changes_by_others_and_credits_are_news_the_owners_own_moves_are_not(db: object) -> None:
    ana = teammate("ana@ourco.example", "Ana Ruiz")
    boss = teammate("boss@ourco.example", "Bo Boss")
    client = make_account("Client Co", lifecycle="client")
    target = make_account("Target Co")
    referral = services.create(
        make_contact(client), target.pk, make_contact(target), ana, now=NOW - timedelta(days=3), actor=ana
    )
    services.advance(referral.pk, "requested", actor=ana, now=NOW - timedelta(days=2), note="")
    services.advance(referral.pk, "introduced", actor=boss, now=NOW - timedelta(days=1), note="", consent=True)
    Referral.objects.filter(pk=referral.pk).update(attribution="sourced")

    tell_news(ana, "en", NOW, None, WINDOWS)

    texts = sorted(Notice.objects.filter(teammate=ana).values_list("kind", "text"))
    assert texts == [
        ("credit", f"Referral {referral.pk} (Target Co) is credited as sourced"),
        ("stage", f"Referral {referral.pk} (Target Co) moved from requested to introduced"),
    ]
    assert set(Notice.objects.filter(teammate=ana).values_list("url", flat=True)) == {f"/referrals/{referral.pk}/"}


def test_a_member_reads_only_their_own_notices(db: object) -> None:
    ana = make_login("ana@ourco.example", "member", name="Ana Ruiz")
    olga = make_login("olga@ourco.example", "member", name="Olga Other")
    assert ana.teammate is not None and olga.teammate is not None
    scored(ana.teammate, [None])
    tell_news(ana.teammate, "en", NOW, ScoreRun.objects.get(), WINDOWS)
    assert unread_count(actor_for(ana.user)) == 1
    assert unread_count(actor_for(olga.user)) == 0 and not mine(actor_for(olga.user)).exists()
