"""Reads of the shared company records: account search, one account with its owner, the people we talk to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet

from referly.crm.models import Account, Contact, Interaction
from referly.errors import NotFound


def search_accounts(
    query: str = "",
    *,
    lifecycle: str | None = None,
    industry: str | None = None,
    country: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[Account]:
    """Accounts whose name or domain contains ``query``, filtered, by name; any case for text filters."""
    found = Account.objects.select_related("owner")
    text = query.strip()
    if text:
        found = found.filter(Q(name__icontains=text) | Q(domain__icontains=text))
    if lifecycle:
        found = found.filter(lifecycle=lifecycle)
    if industry and industry.strip():
        found = found.filter(industry__iexact=industry.strip())
    if country and country.strip():
        found = found.filter(country__iexact=country.strip())
    if owner_id:
        found = found.filter(owner_id=owner_id)
    return found.order_by("name", "id")


def account(account_id: int) -> Account:
    """One account with its owner, or ``NotFound``."""
    found = Account.objects.select_related("owner").filter(pk=account_id).first()
    if found is None:
        raise NotFound(f"No account with id {account_id}", code="account_not_found")
    return found


CAPTURED = "capture"  # the source_system of the people capture (mail, calendars, LinkedIn) made
PEOPLE_SHOWN = 30
PAIRS_READ = 500  # (contact, teammate) pairs, most recent first: bounds the read at a very large account
RECENT_DAYS = 90


@dataclass
class TalkedTo:
    """A contact at the account and our touches with them, straight from the interactions (no scoring run)."""

    contact: Contact
    recent: int  # touches in the last RECENT_DAYS days
    last: datetime
    by: list[str] = field(default_factory=list)  # teammates, the latest to touch them first

    @property
    def captured(self) -> bool:
        return self.contact.source_system == CAPTURED


def people_we_talk_to(account_id: int, now: datetime) -> list[TalkedTo]:
    """The account's people we have touched, the most recently touched first: one aggregate query over
    (contact, teammate) pairs, folded per contact."""
    since = now - timedelta(days=RECENT_DAYS)
    pairs = (
        Interaction.objects.filter(contact__account_id=account_id)
        .values(
            "contact_id",
            "contact__first_name",
            "contact__last_name",
            "contact__email",
            "contact__title",
            "contact__source_system",
            "teammate_id",
            "teammate__name",
        )
        .annotate(recent=Count("id", filter=Q(occurred_at__gte=since)), last=Max("occurred_at"))
        .order_by("-last", "contact_id", "teammate_id")[:PAIRS_READ]
    )
    people: dict[int, TalkedTo] = {}
    for pair in pairs:
        person = people.get(pair["contact_id"])
        if person is None:
            if len(people) == PEOPLE_SHOWN:
                continue
            contact = Contact(
                pk=pair["contact_id"],
                account_id=account_id,
                first_name=pair["contact__first_name"],
                last_name=pair["contact__last_name"],
                email=pair["contact__email"],
                title=pair["contact__title"],
                source_system=pair["contact__source_system"],
            )
            person = people[contact.pk] = TalkedTo(contact, 0, pair["last"])
        person.recent += pair["recent"]
        person.by.append(pair["teammate__name"])
    return list(people.values())
