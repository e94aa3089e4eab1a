"""What Referly writes back into a CRM: the properties, and their values per record, read through the ORM.

Each value is text as the CRM's importer reads it (dates ``YYYY-MM-DD``, whole numbers, English labels).
A record gets a property only when Referly holds a value for it; nothing here invents a default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max

from referly.crm.models import Account, Contact, Opportunity, OpportunitySource
from referly.referrals.models import Attribution, Channel, Referral, ReferralStage, ReferralTransition
from referly.scoring.models import AccountFit, NextBestAction, SponsorScore
from referly.scoring.queries import latest_run

KINDS = ("accounts", "contacts", "opportunities", "referrals")
RECORD_KINDS = ("accounts", "contacts", "opportunities")


@dataclass(frozen=True)
class Property:
    key: str  # lower_snake, without the referly_ prefix
    label: str  # a person's name for it, without "Referly"
    type: str  # text, number, date, choice
    description: str
    kinds: tuple[str, ...]
    options: tuple[str, ...] = ()


REFERRAL_SIDE = ("accounts", "contacts", "opportunities")
PROPERTIES: tuple[Property, ...] = (
    Property(
        "referral_source", "referral source", "text", "Came through a Referly referral, and its channel.", REFERRAL_SIDE
    ),
    Property(
        "referring_account", "referring account", "text", "The client account that made the referral.", REFERRAL_SIDE
    ),
    Property(
        "referring_contact",
        "referring contact",
        "text",
        "The person at the client who made the referral.",
        REFERRAL_SIDE,
    ),
    Property(
        "referral_stage",
        "referral stage",
        "choice",
        "The referral's stage in Referly.",
        REFERRAL_SIDE,
        tuple(str(label) for label in ReferralStage.labels),
    ),
    Property("referral_date", "referral date", "date", "When the referral was recorded.", REFERRAL_SIDE),
    Property(
        "referral_stage_date", "referral stage date", "date", "When the referral entered its stage.", REFERRAL_SIDE
    ),
    Property(
        "referral_credit",
        "referral credit",
        "choice",
        "How the referral is credited (attribution).",
        REFERRAL_SIDE,
        tuple(str(label) for label in Attribution.labels),
    ),
    Property(
        "referrals_made",
        "referrals made",
        "number",
        "Referrals this client (person) has made.",
        ("accounts", "contacts"),
    ),
    Property(
        "sponsor_score", "sponsor score", "number", "0-100: how good a referrer this person is now.", ("contacts",)
    ),
    Property(
        "sponsor_status",
        "sponsor status",
        "choice",
        "Gated: must not be asked now (recover the account first); Ready otherwise.",
        ("contacts",),
        ("Ready", "Gated"),
    ),
    Property("icp_tier", "ICP tier", "choice", "Ideal-customer-profile tier.", ("accounts",), ("A", "B", "C")),
    Property("icp_fit", "ICP fit", "number", "0-100: ideal-customer-profile fit.", ("accounts",)),
    Property(
        "last_warm_path",
        "last warm path",
        "date",
        "The last scoring run (as of) that found a warm path through or into this record.",
        ("accounts", "contacts"),
    ),
)
BY_KEY = {p.key: p for p in PROPERTIES}
# The referrals file: one row per referral, for a custom object (HubSpot, Salesforce).
REFERRAL_OBJECT: tuple[Property, ...] = (
    Property("referral_id", "referral id", "number", "Referly's id of the referral (unique).", ("referrals",)),
    Property("referral_name", "referral name", "text", "Referrer → target, for display.", ("referrals",)),
    BY_KEY["referral_stage"],
    BY_KEY["referral_date"],
    BY_KEY["referral_stage_date"],
    BY_KEY["referral_credit"],
    Property(
        "referral_channel",
        "referral channel",
        "choice",
        "How the ask was made.",
        ("referrals",),
        tuple(str(label) for label in Channel.labels),
    ),
    BY_KEY["referring_account"],
    BY_KEY["referring_contact"],
    Property("referring_email", "referring e-mail", "text", "The referrer's e-mail.", ("referrals",)),
    Property("target_account", "target account", "text", "The account introduced to.", ("referrals",)),
    Property("target_domain", "target domain", "text", "The target account's domain.", ("referrals",)),
    Property("target_email", "target e-mail", "text", "The person introduced to, by e-mail.", ("referrals",)),
    Property("deal_id", "deal id", "text", "The CRM id of the deal the referral opened.", ("referrals",)),
)
BY_KEY_OBJECT = {p.key: p for p in REFERRAL_OBJECT}


@dataclass
class Facts:
    """Per kind and record id: the property values Referly holds, and when they last changed."""

    values: dict[str, dict[int, dict[str, str]]] = field(default_factory=lambda: {k: {} for k in RECORD_KINDS})
    changed: dict[str, dict[int, datetime]] = field(default_factory=lambda: {k: {} for k in RECORD_KINDS})
    referrals: list[Referral] = field(default_factory=list)
    referral_changed: dict[int, datetime] = field(default_factory=dict)

    def put(self, kind: str, pk: int, values: dict[str, str], when: datetime | None) -> None:
        if not values:
            return
        self.values[kind].setdefault(pk, {}).update(values)
        self.touch(kind, pk, when)

    def touch(self, kind: str, pk: int, when: datetime | None) -> None:
        if when is not None and (pk not in self.changed[kind] or self.changed[kind][pk] < when):
            self.changed[kind][pk] = when


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def whole(number: float) -> str:
    return str(round(number))


def _latest(stamps: Iterable[datetime | None]) -> datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


def referral_values(referral: Referral) -> dict[str, str]:
    contact = referral.referrer_contact
    values = {
        "referral_source": f"Referral via {Channel(referral.channel).label}",
        "referring_account": referral.referrer_account.name,
        "referring_contact": contact.name if contact.erased_at is None else "",
        "referral_stage": str(ReferralStage(referral.stage).label),
        "referral_date": day(referral.created_at),
        "referral_stage_date": day(referral.stage_changed_at),
    }
    if referral.attribution != Attribution.PENDING:
        values["referral_credit"] = str(Attribution(referral.attribution).label)
    return {k: v for k, v in values.items() if v}


def gather() -> Facts:
    """Every value Referly holds for write-back, with the time each record's values last changed."""
    facts = Facts()
    _referrals(facts)
    _opportunity_referrers(facts)
    _scores(facts)
    return facts


def _referrals(facts: Facts) -> None:
    moved = dict(
        ReferralTransition.objects.values("referral_id").annotate(last=Max("at")).values_list("referral_id", "last")
    )
    referrals = list(
        Referral.objects.exclude(duplicate_of__isnull=False)
        .select_related("referrer_contact", "referrer_account", "target_account", "target_contact", "opportunity")
        .order_by("created_at", "id")
    )
    facts.referrals = referrals
    for r in referrals:  # oldest first, so the latest referral's values win
        when = _latest([r.created_at, r.stage_changed_at, moved.get(r.pk)])
        assert when is not None
        facts.referral_changed[r.pk] = when
        values = referral_values(r)
        facts.put("accounts", r.target_account_id, values, when)
        if r.target_contact_id is not None:
            facts.put("contacts", r.target_contact_id, values, when)
        if r.opportunity_id is not None:
            facts.put("opportunities", r.opportunity_id, values, when)
    for kind, column in (("accounts", "referrer_account_id"), ("contacts", "referrer_contact_id")):
        made = Referral.objects.exclude(duplicate_of__isnull=False).values(column)
        for row in made.annotate(n=Count("id"), last=Max("created_at")):
            facts.put(kind, row[column], {"referrals_made": str(row["n"])}, row["last"])


def _opportunity_referrers(facts: Facts) -> None:
    """Deals the CRM itself marks as referred (a referring client on the deal) and no Referly referral covers."""
    deals = (
        Opportunity.objects.exclude(referring_account__isnull=True, referring_contact__isnull=True)
        .exclude(pk__in=list(facts.values["opportunities"]))
        .select_related("referring_account", "referring_contact")
    )
    for deal in deals:
        values: dict[str, str] = {}
        if deal.source == OpportunitySource.REFERRAL:
            values["referral_source"] = "Referral"
        if deal.referring_account is not None:
            values["referring_account"] = deal.referring_account.name
        person = deal.referring_contact
        if person is not None and person.erased_at is None and person.name:
            values["referring_contact"] = person.name
        facts.put("opportunities", deal.pk, values, deal.updated_at)


def _scores(facts: Facts) -> None:
    run = latest_run()
    if run is None:
        return
    for fit in AccountFit.objects.filter(run=run).only("account_id", "fit", "tier"):
        facts.put("accounts", fit.account_id, {"icp_tier": fit.tier, "icp_fit": whole(fit.fit)}, run.as_of)
    for s in SponsorScore.objects.filter(run=run).only("contact_id", "score", "gated"):
        status = "Gated" if s.gated else "Ready"
        facts.put("contacts", s.contact_id, {"sponsor_score": whole(s.score), "sponsor_status": status}, run.as_of)
    paths: dict[str, dict[int, datetime]] = defaultdict(dict)
    ends: tuple[tuple[str, str], ...] = (("accounts", "target_account_id"), ("accounts", "sponsor_account_id"))
    ends += (("contacts", "sponsor_id"), ("contacts", "target_contact_id"))
    for kind, column in ends:
        for pk, last in (
            NextBestAction.objects.values(column).annotate(last=Max("run__as_of")).values_list(column, "last")
        ):
            if pk not in paths[kind] or paths[kind][pk] < last:
                paths[kind][pk] = last
    for kind, found in paths.items():
        for pk, last in found.items():
            facts.put(kind, pk, {"last_warm_path": day(last)}, last)


def records(kind: str, ids: Iterable[int]) -> dict[int, Any]:
    """The records of ``kind`` with these ids, with what keying and naming them needs."""
    wanted = list(ids)
    if kind == "accounts":
        return Account.objects.in_bulk(wanted)
    if kind == "contacts":
        return Contact.objects.select_related("account").in_bulk(wanted)
    return Opportunity.objects.select_related("account").in_bulk(wanted)


def changed_at(kind: str, record: Any, facts: Facts) -> datetime:
    """When a record or anything Referly writes about it last changed."""
    stamps = [record.updated_at, record.created_at, facts.changed[kind].get(record.pk)]
    latest = _latest(stamps)
    assert latest is not None
    return latest
