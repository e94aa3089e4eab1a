"""The most visited pages and the API's lists run as many queries for a small company as for one three times
larger: nothing on them asks the database once per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referly.crm.models import Account, Interaction, Signal
from referly.kit.kept_counts import kept_count
from referly.notices.models import Notice, NoticeKind
from referly.outbox.models import OutboxMessage
from referly.referrals import services
from referly.referrals.models import Referral
from referly.scoring.models import AccountFit, NextBestAction, RelationshipStrength, ScoreRun, SponsorScore
from tests.factories import make_account, make_contact, make_opportunity
from tests.personas import Login, Team

pytestmark = pytest.mark.django_db

SMALL, LARGER = 2, 6  # both under every page's size, so a query per row would show
_numbers = count(1)

PAGES = [
    "/",
    "/referrals/",
    "/referrals/{referral}/",
    "/sponsors/",
    "/accounts/",
    "/accounts/{account}/",
    "/reports/",
    "/outbox/",
    "/notices/",
    "/setup/",
]
FIXED_SIZE = {"/referrals/{referral}/", "/reports/", "/setup/"}  # one referral, the month's figures, the checklist
API_LISTS = [
    "/api/v1/actions",
    "/api/v1/referrals",
    "/api/v1/accounts",
    "/api/v1/contacts",
    "/api/v1/opportunities",
    "/api/v1/signals",
    "/api/v1/interactions",
    "/api/v1/outbox",
    "/api/v1/notifications",
]


@dataclass
class Company:
    team: Team
    run: ScoreRun
    home: Account  # the client every unit adds a contact, a touch and a signal to
    first_referral: Referral


def grow(company: Company, units: int) -> None:
    """Adds ``units`` of everything the pages list: a sponsor at the home client with a touch, a signal, its
    scores and an action; a target account with a deal; a referral with an outbox message; a notice."""
    team, run, now = company.team, company.run, timezone.now()
    for _ in range(units):
        n = next(_numbers)
        owner = (team.member, team.manager)[n % 2].teammate
        sponsor = make_contact(company.home, first_name="Sam", last_name=f"Sponsor{n}")
        target_account = make_account(f"Target {n}", lifecycle="prospect")
        target = make_contact(target_account, first_name="Tina", last_name=f"Target{n}")
        make_opportunity(target_account)
        Signal.objects.create(account=company.home, contact=sponsor, kind="renewal", occurred_on=date(2026, 10, 1))
        Interaction.objects.create(teammate=owner, contact=sponsor, kind=1, occurred_at=now - timedelta(days=n))
        SponsorScore.objects.create(
            run=run, contact=sponsor, account=company.home, score=0.5, gated=False, components={"results": 0.5}
        )
        AccountFit.objects.create(run=run, account=target_account, fit=70.0, tier="B", criteria=[])
        RelationshipStrength.objects.create(
            run=run,
            teammate=owner,
            contact=sponsor,
            strength=0.4,
            volume=1.0,
            reciprocity=0.5,
            depth=0.5,
            touches=1,
            first_touch=now - timedelta(days=n),
            last_touch=now - timedelta(days=n),
        )
        NextBestAction.objects.create(
            run=run,
            rank=n,
            sponsor=sponsor,
            sponsor_account=company.home,
            owner=owner,
            target_account=target_account,
            target_contact=target,
            score=0.8,
            channel="email",
            explanation="Renewed last month",
            components={"moment": "renewal", "tie_kind": "former_colleagues", "sponsor_score": 0.5},
        )
        referral = services.create(sponsor, target_account.pk, target, owner, now=now, actor=owner, script="")
        OutboxMessage.objects.create(
            owner=owner,
            contact=sponsor,
            referral=referral,
            from_address="mo.member@northbeam.example",
            to_address=sponsor.email or "",
            subject=f"An introduction {n}",
            text="Hello",
            message_id=f"<ask-{n}@northbeam.example>",
            created_at=now,
        )
        for login in team.all():
            Notice.objects.create(
                teammate=login.teammate,
                kind=NoticeKind.STAGE,
                text=f"Referral {n} moved",
                key=f"stage-{n}",
                created_at=now,
            )


@pytest.fixture
def company(team: Team) -> Company:
    now = timezone.now()
    run = ScoreRun.objects.create(as_of=now, settings_hash="test", started_at=now)
    home = make_account("Home Client", domain="home.example", lifecycle="client")
    sponsor = make_contact(home, first_name="First", last_name="Sponsor")
    target = make_contact(make_account("First Target"), first_name="First", last_name="Target")
    first = services.create(sponsor, target.account.pk, target, team.member.teammate, now=now, actor=None, script="")
    return Company(team, run, home, first)


@dataclass
class Seen:
    queries: list[str]
    size: int  # of the answer: a larger company's lists are longer


def seen_on(client: Client, path: str, **headers: Any) -> Seen:
    client.get(path, **headers)  # the first request warms what a process keeps (sessions, templates, caches)
    with CaptureQueriesContext(connection) as seen:
        answer = client.get(path, **headers)
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return Seen([q["sql"] for q in seen.captured_queries], len(answer.content))


def at_two_sizes(company: Company, path: str, login: Login, token: bool) -> tuple[Seen, Seen]:
    path = path.format(referral=company.first_referral.pk, account=company.home.pk)
    client = Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {login.token('read')}"} if token else {}
    if not token:
        client.force_login(login.user)
    grow(company, SMALL)
    rescored(company)
    small = seen_on(client, path, **headers)
    grow(company, LARGER - SMALL)
    rescored(company)
    return small, seen_on(client, path, **headers)


def rescored(company: Company) -> None:
    """A new scoring run with every result so far: what a run's lists show (and what is kept per run) follows."""
    now = timezone.now()
    run = ScoreRun.objects.create(as_of=now, settings_hash="test", started_at=now)
    for results in (SponsorScore, AccountFit, RelationshipStrength, NextBestAction):
        results.objects.filter(run=company.run).update(run=run)
    company.run = run


def assert_same_count(path: str, small: Seen, larger: Seen) -> None:
    assert len(small.queries) == len(larger.queries), (
        f"{path}: {len(small.queries)} queries, then {len(larger.queries)}:\n" + "\n".join(larger.queries)
    )


@pytest.mark.parametrize("path", PAGES)
def test_a_page_runs_as_many_queries_for_three_times_the_data(company: Company, path: str) -> None:
    small, larger = at_two_sizes(company, path, company.team.manager, token=False)
    assert_same_count(path, small, larger)
    if path not in FIXED_SIZE:
        assert larger.size > small.size, f"{path} does not list what was added: the count proves nothing"


@pytest.mark.parametrize("path", API_LISTS)
def test_an_api_list_runs_as_many_queries_for_three_times_the_data(company: Company, path: str) -> None:
    small, larger = at_two_sizes(company, path, company.team.manager, token=True)
    assert_same_count(path, small, larger)
    assert larger.size > small.size, f"{path} does not list what was added: the count proves nothing"


def writes_to_the_shared_count(sql: list[str]) -> list[str]:
    return [q for q in sql if "referly_shared_cache" in q and q.lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_api_requests_with_a_token_write_the_shared_count_once_a_lease_not_once_a_request(company: Company) -> None:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {company.team.manager.token('read')}"}
    client = Client()
    writes = []
    for _ in range(10):
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/api/v1/actions", **headers).status_code == 200
        writes.append(len(writes_to_the_shared_count([q["sql"] for q in seen.captured_queries])))
    assert writes[0] >= 1 and writes[1:] == [0] * 9  # 600 a minute: leases of 30 requests


def test_the_second_factor_is_not_asked_of_the_database_on_every_page(company: Company) -> None:
    client = Client()
    client.force_login(company.team.manager.user)
    client.get("/notices/")
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/notices/").status_code == 200
    assert not [q["sql"] for q in seen.captured_queries if "otp_totp" in q["sql"]]


def test_a_runs_total_is_counted_once_and_counted_again_under_a_new_runs_key(company: Company) -> None:
    actions = NextBestAction.objects.filter(run=company.run)
    grow(company, 1)
    assert kept_count(actions, "run-a") == 1
    grow(company, 1)  # a run's actions never change once written: here they do, to show what is kept
    assert kept_count(actions, "run-a") == 1
    assert kept_count(actions, "run-b") == 2
    assert kept_count(actions.filter(owner=company.team.member.teammate), "run-a") == 1  # its own filters
