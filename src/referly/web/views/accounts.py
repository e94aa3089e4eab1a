"""Accounts: search, and one account's firmographics, ICP fit, signals, who knows whom there, open referrals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from referly.capture.recorder import CAPTURED
from referly.crm import queries as crm_queries
from referly.crm.models import Account, Contact, Interaction, Signal
from referly.crm.queries import search_accounts
from referly.referrals import queries as referral_queries
from referly.scoring.queries import account_fit, latest_run, ties_at_account
from referly.web.navigation import page_of, query_without_page
from referly.web.pages import actor, page

PAGE_SIZE = 25
SIGNALS_SHOWN = 50
TIES_SHOWN = 30
REFERRALS_SHOWN = 50
PEOPLE_SHOWN = 30
PAIRS_READ = 500  # (contact, teammate) pairs, most recent first: bounds the read at a very large account
RECENT_DAYS = 90


@page()
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    lifecycle = request.GET.get("lifecycle", "")
    listing = page_of(request, search_accounts(query, lifecycle=lifecycle), PAGE_SIZE)
    return render(
        request,
        "web/accounts.html",
        {
            "section": "accounts",
            "listing": listing,
            "query": query_without_page(request),
            "q": query,
            "lifecycle": lifecycle,
            "lifecycles": Account._meta.get_field("lifecycle").choices,
        },
    )


@page()
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    found = crm_queries.account(account_id)
    run = latest_run()
    signals = list(
        Signal.objects.filter(account_id=found.pk)
        .select_related("contact")
        .order_by("-occurred_on", "-id")[:SIGNALS_SHOWN]
    )
    return render(
        request,
        "web/account.html",
        {
            "section": "accounts",
            "account": found,
            "run": run,
            "fit": account_fit(run, found.pk),
            "ties": ties_at_account(run, found.pk, TIES_SHOWN),
            "signals": signals,
            "referrals": list(referral_queries.open_at_account(actor(request), found.pk)[:REFERRALS_SHOWN]),
            "contacts": found.contacts.count(),
            "people": people_we_talk_to(found.pk, timezone.now()),
            "recent_days": RECENT_DAYS,
        },
    )


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
