"""A small world for the API tests: a client with a sponsor, a target, an action and a referral owned by Mo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from referly.crm.models import Account, Contact, Signal
from referly.referrals import services
from referly.referrals.models import Referral
from referly.scoring.models import NextBestAction, ScoreRun
from tests.factories import make_account, make_contact, make_opportunity
from tests.personas import Team

API = "/api/v1"


@dataclass
class World:
    team: Team
    client_account: Account
    sponsor: Contact
    target_account: Account
    target: Contact
    action: NextBestAction
    referral: Referral  # owned by Mo (the member in Maya's team)


def make_action(team: Team, sponsor: Contact, target: Contact, owner_id: int, rank: int = 1) -> NextBestAction:
    now = timezone.now()
    run = ScoreRun.objects.order_by("-started_at").first() or ScoreRun.objects.create(
        as_of=now, settings_hash="test", started_at=now
    )
    return NextBestAction.objects.create(
        run=run,
        rank=rank,
        sponsor=sponsor,
        sponsor_account=sponsor.account,
        owner_id=owner_id,
        target_account=target.account,
        target_contact=target,
        score=0.8,
        channel="email",
        explanation="Renewed last month; worked with the target before",
        components={"moment": "renewal", "tie_kind": "former_colleagues"},
    )


@pytest.fixture
def world(team: Team) -> World:
    client_account = make_account("Client Co", domain="client.example", lifecycle="client")
    sponsor = make_contact(client_account, first_name="Sam", last_name="Sponsor", email="sam@client.example")
    target_account = make_account("Target Co", domain="target.example", industry="Software")
    target = make_contact(target_account, first_name="Tina", last_name="Target", email="tina@target.example")
    make_opportunity(make_account("Other Co", domain="other.example"))
    Signal.objects.create(account=client_account, contact=sponsor, kind="renewal", occurred_on=date(2026, 10, 1))
    action = make_action(team, sponsor, target, team.member.teammate.pk)
    referral = services.create(
        sponsor,
        target_account.pk,
        target,
        team.member.teammate,
        now=timezone.now(),
        actor=team.member.teammate,
        script="email/renewal/en",
    )
    return World(team, client_account, sponsor, target_account, target, action, referral)


def bearer(token: str | None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def get(path: str, token: str | None, **params: Any) -> HttpResponse:
    return Client().get(API + path, params, **bearer(token))


def post(path: str, token: str | None, body: Any, key: str | None = None) -> HttpResponse:
    extra = bearer(token) | ({"HTTP_IDEMPOTENCY_KEY": key} if key else {})
    return Client().post(API + path, json.dumps(body), content_type="application/json", **extra)


def upload(
    path: str, token: str | None, name: str, content: bytes, key: str | None = None, **form: Any
) -> HttpResponse:
    from django.core.files.uploadedfile import SimpleUploadedFile

    extra = bearer(token) | ({"HTTP_IDEMPOTENCY_KEY": key} if key else {})
    return Client().post(API + path, {**form, "file": SimpleUploadedFile(name, content)}, **extra)
