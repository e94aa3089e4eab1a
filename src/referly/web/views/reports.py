"""Reports: a month's review pack (frozen, or computed now and said so), with every figure's evidence label.

The figures, their wording and the charts come from ``referly.reports`` (``page.view``): nothing is
recomputed here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from referly.reports.pack import Context
from referly.reports.page import view
from referly.reports.review import check_month_over, latest_review, load_pack, staleness
from referly.reports.scope import Scope, add_months, configured_goal, parse_month
from referly.web.pages import page

MONTHS_OFFERED = 24


def last_month_over(now: datetime) -> date:
    zone = timezone.get_current_timezone()
    return add_months(now.astimezone(zone).date().replace(day=1), -1)


def months_over(now: datetime, count: int = MONTHS_OFFERED) -> list[str]:
    """The months a report can cover, newest first."""
    last = last_month_over(now)
    return [f"{add_months(last, -i):%Y-%m}" for i in range(count)]


def scope_of(month: str | None, now: datetime) -> Scope:
    chosen = parse_month(month) if month else last_month_over(now)
    return Scope(chosen, timezone.get_current_timezone())


def pack_context(scope: Scope, now: datetime) -> Context:
    """The month's pack as the report renderers take it: frozen if reviewed, else computed now."""
    check_month_over(scope, now)
    due = staleness(latest_review(), now)
    return Context(load_pack(scope, configured_goal()), due.text, now, due.due)


def pack_page(context: Context) -> dict[str, Any]:
    """What the dashboard's pack template shows: ``page.view`` plus the scenario figures kept apart."""
    shown = view(context)
    shown["frozen"] = context.pack.frozen
    return shown


@page()
def report(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    scope = scope_of(request.GET.get("month") or None, now)
    context = pack_context(scope, now)
    return render(
        request,
        "web/reports.html",
        {
            "section": "reports",
            "month": scope.label(),
            "months": months_over(now),
            "pack": pack_page(context),
        },
    )
