"""Records for the sending tests: an owner, a happy client contact with a measured result, a referral to ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from referly.crm.models import Contact, Signal, Teammate
from referly.referrals.models import Referral
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
RESULT = "Cut onboarding time by 42%"


@dataclass
class Ask:
    owner: Teammate
    sponsor: Contact
    referral: Referral


def ready_referral(*, sponsor_name: tuple[str, str] = ("Jane", "Doe"), owner: Teammate | None = None) -> Ask:
    owner = owner or make_teammate("Ana Ruiz", email="ana@ourco.example")
    client = make_account(lifecycle="client")
    target = make_account()
    sponsor = make_contact(client, first_name=sponsor_name[0], last_name=sponsor_name[1])
    Signal.objects.create(
        account=client, contact=sponsor, kind="measured_success", occurred_on=date(2026, 10, 1), detail=RESULT
    )
    referral = Referral.objects.create(
        referrer_contact=sponsor,
        referrer_account=client,
        target_account=target,
        target_contact=make_contact(target, first_name="Tom", last_name="Target"),
        owner=owner,
        script_key="email/measured_success/en",
        created_at=NOW,
        stage_changed_at=NOW,
    )
    return Ask(owner, sponsor, referral)
