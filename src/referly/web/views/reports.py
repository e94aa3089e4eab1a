"""Reports: a month's review pack (frozen, or computed now and said so), with every figure's evidence label.

The figures, their wording and the charts come from ``referly.reports`` (``page.view``): nothing is
recomputed here.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from referly.reports.page import view
from referly.reports.review import last_month_over, month_scope, pack_context
from referly.reports.scope import add_months
from referly.web.pages import page

MONTHS_OFFERED = 24


def months_over(now: datetime, count: int = MONTHS_OFFERED) -> list[str]:
    """The months a report can cover, newest first."""
    last = last_month_over(now)
    return [f"{add_months(last, -i):%Y-%m}" for i in range(count)]


@page()
def report(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    scope = month_scope(request.GET.get("month") or None, now)
    context = pack_context(scope, now, translation.get_language() or "en", on_web=True)
    return render(
        request,
        "web/reports.html",
        {
            "section": "reports",
            "month": scope.label(),
            "months": months_over(now),
            "pack": view(context),
        },
    )
