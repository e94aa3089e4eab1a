"""Accounts: search, and one account's firmographics, ICP fit, signals, who knows whom there, open referrals."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from referly.crm.models import Account, Signal
from referly.errors import NotFound
from referly.referrals.lifecycle import CLOSED
from referly.scoring.models import AccountFit, RelationshipStrength
from referly.scoring.store import latest_run
from referly.web.navigation import page_of, query_without_page
from referly.web.pages import actor, page
from referly.web.visibility import referrals_in_view

PAGE_SIZE = 25
SIGNALS_SHOWN = 50
TIES_SHOWN = 30


@page()
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    lifecycle = request.GET.get("lifecycle", "")
    found = Account.objects.select_related("owner").order_by("name", "id")
    if query:
        found = found.filter(Q(name__icontains=query) | Q(domain__icontains=query))
    if lifecycle:
        found = found.filter(lifecycle=lifecycle)
    listing = page_of(request, found, PAGE_SIZE)
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
    who = actor(request)
    found = Account.objects.select_related("owner").filter(pk=account_id).first()
    if found is None:
        raise NotFound(f"No account with id {account_id}")
    run = latest_run()
    fit = None
    ties: list[RelationshipStrength] = []
    if run is not None:
        fit = AccountFit.objects.filter(run=run, account_id=found.pk).first()
        ties = list(
            RelationshipStrength.objects.filter(run=run, contact__account_id=found.pk)
            .select_related("teammate", "contact")
            .order_by("-strength")[:TIES_SHOWN]
        )
    signals = list(
        Signal.objects.filter(account_id=found.pk)
        .select_related("contact")
        .order_by("-occurred_on", "-id")[:SIGNALS_SHOWN]
    )
    referrals = list(
        referrals_in_view(who)
        .filter(Q(target_account_id=found.pk) | Q(referrer_account_id=found.pk))
        .exclude(stage__in=CLOSED)
        .select_related("referrer_contact", "referrer_account", "target_account", "target_contact", "owner")
        .order_by("-stage_changed_at")[:50]
    )
    return render(
        request,
        "web/account.html",
        {
            "section": "accounts",
            "account": found,
            "run": run,
            "fit": fit,
            "ties": ties,
            "signals": signals,
            "referrals": referrals,
            "contacts": found.contacts.count(),
        },
    )
