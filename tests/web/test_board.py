"""The referral board: cards by stage, advancing with a note, and refusals shown clearly."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.referrals import services
from referly.referrals.models import Referral
from tests.web.conftest import Company, logged_in

pytestmark = pytest.mark.django_db


def referral_of(company: Company, index: int = 0, owner: str = "member") -> Referral:
    action = company.mine[index] if owner == "member" else company.others[0]
    return services.create_from_action(action.pk, None, timezone.now())


def test_the_board_shows_each_stage_and_the_cards(client: Client, company: Company) -> None:
    mine = referral_of(company)
    page = logged_in(client, company.team.member).get(reverse("web:board"))
    html = page.content.decode()
    assert page.status_code == 200
    for stage in ("identified", "requested", "introduced", "meeting", "opportunity", "won", "lost", "withdrawn"):
        assert f'id="stage-{stage}"' in html
    assert f'id="referral-{mine.pk}"' in html and f'id="advance-{mine.pk}-form"' in html
    demo = Referral.objects.exclude(pk=mine.pk).first()
    assert demo is not None and f'id="referral-{demo.pk}"' not in html, "a member sees only their own"


def test_a_viewer_sees_every_card_and_no_form(client: Client, company: Company) -> None:
    mine = referral_of(company)
    html = logged_in(client, company.team.viewer).get(reverse("web:board")).content.decode()
    assert f'id="referral-{mine.pk}"' in html and "advance-form" not in html


def test_advancing_with_a_note_moves_the_referral(client: Client, company: Company) -> None:
    mine = referral_of(company)
    moved = logged_in(client, company.team.member).post(
        reverse("web:advance", args=[mine.pk]),
        {"stage": "requested", "note": "Asked at the QBR", "expected_version": mine.version, "next": "/referrals/"},
    )
    assert moved.status_code == 302 and moved["Location"] == "/referrals/"
    mine.refresh_from_db()
    assert mine.stage == "requested" and mine.transitions.last().note == "Asked at the QBR"  # type: ignore[union-attr]


def test_a_stale_version_is_refused_and_shown(client: Client, company: Company) -> None:
    mine = referral_of(company)
    seen = mine.version
    services.advance(mine.pk, "requested", actor=None, now=timezone.now())  # someone else moved it meanwhile
    stale = logged_in(client, company.team.member).post(
        reverse("web:advance", args=[mine.pk]), {"stage": "withdrawn", "expected_version": seen}
    )
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'id="advance-error"' in html and "changed since you read it" in html
    mine.refresh_from_db()
    assert mine.stage == "requested"


def test_a_forbidden_move_and_missing_consent_are_shown_at_their_field(client: Client, company: Company) -> None:
    mine = referral_of(company)
    c = logged_in(client, company.team.member)
    forbidden = c.post(reverse("web:advance", args=[mine.pk]), {"stage": "won", "expected_version": mine.version})
    assert forbidden.status_code == 409
    assert 'id="advance-stage" name="stage" required aria-invalid="true"' in forbidden.content.decode()
    services.advance(mine.pk, "requested", actor=None, now=timezone.now())
    mine.refresh_from_db()
    no_consent = c.post(
        reverse("web:advance", args=[mine.pk]), {"stage": "introduced", "expected_version": mine.version}
    )
    assert no_consent.status_code == 409 and "Double opt-in" in no_consent.content.decode()
    introduced = c.post(
        reverse("web:advance", args=[mine.pk]),
        {"stage": "introduced", "expected_version": mine.version, "consent": "on"},
    )
    assert introduced.status_code == 302
    detail = c.get(reverse("web:referral", args=[mine.pk])).content.decode()
    assert 'id="history"' in detail and "draft-" in detail, "introduced drafts a thank-you"


def test_a_member_gets_404_for_another_members_referral(client: Client, company: Company) -> None:
    theirs = referral_of(company, owner="other")
    c = logged_in(client, company.team.member)
    assert c.get(reverse("web:referral", args=[theirs.pk])).status_code == 404
    refused = c.post(reverse("web:advance", args=[theirs.pk]), {"stage": "requested"})
    assert refused.status_code == 404
    # outside Maya's team too; the admin and the viewer see everyone's
    assert logged_in(Client(), company.team.manager).get(reverse("web:referral", args=[theirs.pk])).status_code == 404
    assert logged_in(Client(), company.team.viewer).get(reverse("web:referral", args=[theirs.pk])).status_code == 200


def test_a_manager_cannot_move_a_referral_outside_their_team(client: Client, company: Company) -> None:
    theirs = referral_of(company, owner="other")
    refused = logged_in(client, company.team.manager).post(
        reverse("web:advance", args=[theirs.pk]), {"stage": "requested", "expected_version": theirs.version}
    )
    assert refused.status_code == 404  # outside their view, as if it did not exist
    theirs.refresh_from_db()
    assert theirs.stage == "identified"


def test_one_stage_lists_every_card_of_that_stage(client: Client, company: Company) -> None:
    page = logged_in(client, company.team.admin).get(reverse("web:board"), {"stage": "declined", "scope": "everyone"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="stage-declined"' in html and 'id="stage-won"' not in html
    declined = Referral.objects.filter(stage="declined").count()
    assert declined > 0 and html.count('class="card referral-card"') == declined


def test_each_column_keeps_its_newest_cards_up_to_its_size(company: Company) -> None:
    from datetime import timedelta

    from referly.web.views.referrals import CLOSED_COLUMN_SIZE, COLUMN_SIZE, newest_per_stage

    picked = list(Referral.objects.order_by("pk")[: COLUMN_SIZE + 2 + CLOSED_COLUMN_SIZE + 2])
    assert len(picked) == COLUMN_SIZE + CLOSED_COLUMN_SIZE + 4, "the demo has enough referrals to fill two columns"
    start = timezone.now() - timedelta(days=100)
    for day, referral in enumerate(picked):
        stage = "identified" if day < COLUMN_SIZE + 2 else "won"
        Referral.objects.filter(pk=referral.pk).update(stage=stage, created_at=start + timedelta(days=day))
    columns = newest_per_stage(Referral.objects.filter(pk__in=[r.pk for r in picked]))
    open_ids = [r.pk for r in picked[: COLUMN_SIZE + 2]]
    closed_ids = [r.pk for r in picked[COLUMN_SIZE + 2 :]]
    assert [r.pk for r in columns["identified"]] == open_ids[::-1][:COLUMN_SIZE], "newest first, 12 of 14"
    assert [r.pk for r in columns["won"]] == closed_ids[::-1][:CLOSED_COLUMN_SIZE], "newest first, 5 of 7"
