"""Sponsors: the latest run's ranked sponsor scores, why, what blocks them, and how often they were asked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referly.portal.queries import live_links
from referly.referrals.models import Ask
from referly.scoring.models import SponsorScore
from referly.scoring.queries import latest_run
from referly.web.navigation import page_of_run, query_without_page
from referly.web.pages import page

PAGE_SIZE = 25
COMPONENT_LABELS = {
    "satisfaction": _("Satisfaction"),
    "tenure": _("Tenure"),
    "results": _("Results"),
    "proximity": _("Proximity to us"),
    "reach": _("Reach into the ICP"),
    "growth": _("Growth"),
    "advocacy": _("Advocacy"),
    "risk": _("Risk penalty (points)"),
}
FILTERS = ("askable", "gated", "all")


@page()
def sponsors(request: HttpRequest) -> HttpResponse:
    run = latest_run()
    shown = request.GET.get("show", "askable")
    shown = shown if shown in FILTERS else "askable"
    query = request.GET.get("q", "").strip()
    listing = None
    rows: list[dict[str, Any]] = []
    if run is not None:
        found = SponsorScore.objects.filter(run=run).select_related("contact", "account")
        if shown != "all":
            found = found.filter(gated=shown == "gated")
        if query:
            found = found.filter(account__name__icontains=query) | found.filter(contact__last_name__icontains=query)
        listing = page_of_run(request, found.order_by("-score", "id"), PAGE_SIZE, run)
        scores = list(listing.object_list)
        history = asks_of([s.contact_id for s in scores])
        linked = live_links([s.contact_id for s in scores], timezone.now())
        rows = [
            {
                "score": s,
                "parts": breakdown(s.components),
                "missing": missing_of(s.components),
                "asks": history.get(s.contact_id, []),
                "linked": s.contact_id in linked,
            }
            for s in scores
        ]
    return render(
        request,
        "web/sponsors.html",
        {
            "section": "sponsors",
            "run": run,
            "rows": rows,
            "listing": listing,
            "query": query_without_page(request),
            "shown": shown,
            "q": query,
            "made_link": request.session.pop("sponsor_link", None),
        },
    )


def breakdown(components: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(label, value as read, bar width 0-100) for each component."""
    found = []
    for key, value in components.items():
        if key == "missing":  # the evidence the score is computed without, shown apart (``missing_of``)
            continue
        number = float(value or 0)
        label = str(COMPONENT_LABELS.get(key, key.replace("_", " ")))
        if key == "risk":
            found.append((label, f"−{number:.0f}", min(number, 100.0)))
        else:
            found.append((label, f"{number:.2f}", round(max(0.0, min(number, 1.0)) * 100, 1)))
    return found


def missing_of(components: dict[str, Any]) -> str:
    """What the score is computed without, in words ("no NPS, no interactions: ..."), or ""."""
    found = components.get("missing") or []
    return ", ".join(str(x) for x in found) if isinstance(found, list) else ""


def asks_of(contact_ids: list[int]) -> dict[int, list[Ask]]:
    history: dict[int, list[Ask]] = defaultdict(list)
    for ask in Ask.objects.filter(contact_id__in=contact_ids).select_related("asked_by").order_by("-asked_at"):
        history[ask.contact_id].append(ask)
    return history
