"""Accounts: search, and one account's firmographics, ICP fit, signals, who knows whom there, open referrals."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from referly.crm import queries as crm_queries
from referly.crm.models import Account, Signal
from referly.crm.queries import RECENT_DAYS, people_we_talk_to, search_accounts
from referly.referrals import queries as referral_queries
from referly.scoring.queries import account_fit, latest_run, ties_at_account
from referly.web.navigation import page_of, query_without_page
from referly.web.pages import actor, page

PAGE_SIZE = 25
SIGNALS_SHOWN = 50
TIES_SHOWN = 30
REFERRALS_SHOWN = 50


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
            "bounced": bounced_at(found.pk),
        },
    )


def bounced_at(account_id: int) -> list[dict[str, object]]:
    """The account's contacts whose address bounced hard: no ask goes to them until it is corrected."""
    from referly.crm.models import Contact
    from referly.outbox.models import InvalidAddress

    contacts = {c.email.lower(): c for c in Contact.objects.filter(account_id=account_id, email__gt="") if c.email}
    return [
        {"contact": contacts[b.address], "since": b.since, "reason": b.reason}
        for b in InvalidAddress.objects.filter(address__in=list(contacts)).order_by("address")
    ]
