"""Hand-built referral records with known answers, and ways to read a metric's figures back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from referly.crm.models import Account, Contact, Opportunity, Signal, Teammate
from referly.referrals.models import Ask, Referral, ReferralTransition
from referly.reports.metrics import metric
from referly.reports.queries import load_records
from referly.reports.scope import Scope
from tests.factories import make_account, make_contact, make_opportunity, make_teammate

MONTH = date(2026, 3, 1)
"""The reviewed month of the hand-built tests: as of 2026-04-01, window 2025-04-01 to 2026-03-31."""
SCOPE = Scope(MONTH, UTC)


def at(day: date | str, hour: int = 10) -> datetime:
    when = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(when.year, when.month, when.day, hour, tzinfo=UTC)


class Book:
    """A small company: two teammates and a client with a referrer; it adds referrals, deals, asks, NPS answers."""

    def __init__(self) -> None:
        self.alice: Teammate = make_teammate("Alice Martin")
        self.bob: Teammate = make_teammate("Bob Stone")
        self.client: Account = make_account("Client Co", lifecycle="client")
        self.referrer: Contact = make_contact(self.client, first_name="Rita", last_name="Ref")

    def referral(
        self,
        stages: Sequence[tuple[str, datetime]],
        *,
        owner: Teammate | None = None,
        referrer: Contact | None = None,
        script: str = "email/renewal/en",
        attribution: str = "pending",
        opportunity: Opportunity | None = None,
    ) -> Referral:
        """A referral that entered each stage at the given time (the first is its creation)."""
        referrer = referrer or self.referrer
        made = Referral.objects.create(
            referrer_contact=referrer,
            referrer_account=referrer.account,
            target_account=make_account(),
            owner=owner or self.alice,
            script_key=script,
            stage=stages[-1][0],
            attribution=attribution,
            opportunity=opportunity,
            created_at=stages[0][1],
            stage_changed_at=stages[-1][1],
        )
        previous = ""
        for stage, when in stages:
            ReferralTransition.objects.create(referral=made, from_stage=previous, to_stage=stage, at=when)
            previous = stage
        return made

    def deal(
        self,
        source: str,
        created: str,
        *,
        stage: str = "prospecting",
        closed: str | None = None,
        amount: int | None = 10_000,
        currency: str = "EUR",
        referrer: Contact | None = None,
    ) -> Opportunity:
        return make_opportunity(
            source=source,
            stage=stage,
            created_on=date.fromisoformat(created),
            closed_on=date.fromisoformat(closed) if closed else None,
            amount=None if amount is None else Decimal(amount),
            currency=currency,
            referring_contact=referrer,
            referring_account=referrer.account if referrer else None,
        )

    def ask(self, when: datetime, kind: str = "referral") -> Ask:
        return Ask.objects.create(contact=self.referrer, account=self.client, kind=kind, asked_at=when)

    def nps(self, contact: Contact, score: int, on: str = "2026-02-10") -> Signal:
        return Signal.objects.create(
            account=contact.account, contact=contact, kind="nps", nps_score=score, occurred_on=date.fromisoformat(on)
        )


def ladder(start: datetime, stages: Sequence[str], step_days: int = 3) -> list[tuple[str, datetime]]:
    return [(stage, start + timedelta(days=i * step_days)) for i, stage in enumerate(stages)]


def run(slug: str, scope: Scope = SCOPE) -> dict[str, Any]:
    """A metric's JSON for the scope, read from the test database."""
    return metric(slug).run(load_records(scope))


def cell(table: dict[str, Any], row: str | None, column: str) -> dict[str, Any]:
    for found in table["rows"]:
        if found["key"] == row:
            figure: dict[str, Any] = found["cells"][column]
            return figure
    raise AssertionError(f"no row {row!r} in {[r['key'] for r in table['rows']]}")
