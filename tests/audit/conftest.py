"""The audit tests' fixtures: a sponsor with a live link, and the events of one kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.crm.models import Account, Contact
from referly.portal import links
from referly.scoring.models import NextBestAction, ScoreRun
from tests.factories import make_account, make_contact, make_teammate

SPONSOR_EMAIL = "jane.sponsor@acme.example"


@dataclass
class Sponsor:
    contact: Contact
    token: str
    target: Account  # the one account the page offers

    @property
    def page(self) -> str:
        return f"/p/{self.token}/"


@pytest.fixture
def sponsor(db: Any) -> Sponsor:
    acme = make_account("Acme", domain="acme.example", lifecycle="client", country="GB")
    jane = make_contact(acme, first_name="Jane", last_name="Sponsor", email=SPONSOR_EMAIL)
    owner = make_teammate("Alice Owner", email="alice.owner@ourco.example")
    lumen = make_account("Lumen Freight")
    omar = make_contact(lumen, first_name="Omar", last_name="Haddad")
    now = timezone.now()
    run = ScoreRun.objects.create(as_of=now, settings_hash="x", started_at=now)
    NextBestAction.objects.create(
        run=run,
        rank=1,
        sponsor=jane,
        sponsor_account=acme,
        owner=owner,
        target_account=lumen,
        target_contact=omar,
        score=0.5,
        channel="email",
        components={},
    )
    _, url = links.create_sponsor_link(jane, 30, now, owner, "en")
    return Sponsor(jane, url.rstrip("/").rsplit("/", 1)[1], lumen)


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))
