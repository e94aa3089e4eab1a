"""Setup: the readiness checklist, what each list needs, what the records hold, and what fixes each gap."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from referly.readiness.checks import Line, assess
from referly.readiness.queries import gather
from referly.web.pages import page


@page()
def setup(request: HttpRequest) -> HttpResponse:
    """Visible to everyone logged in; the fix links go to pages only some roles may open, shown as they are."""
    found = assess(gather(timezone.now().date()))
    return render(
        request,
        "web/setup.html",
        {
            "section": "setup",
            "data": [_row(line) for line in found.data],
            "features": [_row(line) for line in found.features],
            "left_out": found.left_out,
            "counts": found.counts,
        },
    )


def _row(line: Line) -> dict[str, object]:
    return {"line": line, "url": reverse(line.page) if line.page else ""}
