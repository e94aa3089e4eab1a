"""Calibrated words: an action says how often past asks like it led to an introduction, or that too few did."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from referly.referrals.calibration import MIN_ASKS, AskRate, ask_rates, calibrated_words
from referly.referrals.models import Ask, Referral, ReferralStage, ReferralTransition
from tests.factories import make_account, make_contact, make_teammate
from tests.web.conftest import Company, logged_in

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_enough_asks_give_the_measured_rate_with_n_period_and_interval() -> None:
    rate = AskRate("call", 40, 10, date(2026, 1, 5), date(2026, 9, 30))
    words = calibrated_words(rate)
    assert words.startswith("25% of asks like this led to an introduction (n = 40 asks from 2026-01-05 to 2026-09-30")
    assert "95% interval 14–40%, measured" in words
    with translation.override("fr"):
        assert calibrated_words(rate).startswith("25 % des demandes de ce genre ont mené à une introduction (n = 40")


def test_below_the_minimum_it_gives_no_number() -> None:
    rate = AskRate("call", MIN_ASKS - 1, 20)
    assert calibrated_words(rate) == (
        f"Too few past asks like this to say how often they led to an introduction (n = {MIN_ASKS - 1})."
    )
    assert calibrated_words(None).endswith("(n = 0).")
    with translation.override("fr"):
        assert calibrated_words(rate).startswith("Trop peu de demandes passées de ce genre")


@pytest.mark.django_db
def test_only_decided_asks_count_and_an_introduction_is_any_stage_from_introduced_on() -> None:
    owner = make_teammate("Mo")
    sponsor_account, target = make_account("Sponsor"), make_account("Target")
    sponsor = make_contact(sponsor_account)
    outcomes = [ReferralStage.INTRODUCED] * 6 + [ReferralStage.WON] * 4 + [ReferralStage.DECLINED] * 22
    outcomes += [ReferralStage.REQUESTED] * 5  # still waiting: left out
    for i, stage in enumerate(outcomes):
        at = START + timedelta(days=i)
        referral = Referral.objects.create(
            referrer_contact=sponsor,
            referrer_account=sponsor_account,
            target_account=target,
            owner=owner,
            channel="email",
            stage=stage,
            created_at=at,
            stage_changed_at=at,
        )
        ReferralTransition.objects.create(referral=referral, to_stage=stage, at=at)
        Ask.objects.create(contact=sponsor, account=sponsor_account, asked_at=at, referral=referral)
    rates = ask_rates(START + timedelta(days=100))
    assert rates["email"] == AskRate("email", 32, 10, date(2026, 1, 5), date(2026, 2, 5))
    assert calibrated_words(rates["email"]).startswith("31% of asks like this led to an introduction (n = 32")
    assert ask_rates(START + timedelta(days=20))["email"].measured is False  # only 20 asks before that day


@pytest.mark.django_db
def test_each_action_on_today_carries_its_words(client: Client, company: Company) -> None:
    page = logged_in(client, company.team.member).get(reverse("web:today")).content.decode()
    rates = ask_rates(datetime.now(tz=UTC))
    for action in company.mine:
        assert html.escape(calibrated_words(rates.get(action.channel))) in page
