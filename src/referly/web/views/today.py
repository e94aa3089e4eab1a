"""Today: my next best actions, why, the script ready to copy, one click to log the ask."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from referly.web.pages import actor, page


@page()
def today(request: HttpRequest) -> HttpResponse:
    from referly.scoring.models import NextBestAction
    from referly.scoring.store import latest_run

    who = actor(request)
    run = latest_run()
    actions = NextBestAction.objects.none()
    if run is not None:
        actions = NextBestAction.objects.filter(run=run).select_related(
            "sponsor", "sponsor_account", "target_account", "target_contact", "owner"
        )
        if who.team is not None:
            actions = actions.filter(owner_id__in=who.team)
    return render(request, "web/today.html", {"run": run, "actions": actions.order_by("rank")[:20]})
