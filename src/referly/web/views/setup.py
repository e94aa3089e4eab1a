"""Setup: the readiness checklist, what each list needs, what the records hold, and what fixes each gap."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
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


@require_POST
@page(Permission.IMPORT)
def score_now(request: HttpRequest) -> HttpResponse:
    """Run the scoring pipeline now (as ``referly score`` does), for whoever may bring data in; then say what came."""
    from referly.scoring.services import score_database

    with transaction.atomic():
        run = score_database(None, [])
    actions = int(run.counts.get("actions", 0))
    messages.success(
        request,
        ngettext(
            "Scored: %(n)s next best action in the new run.", "Scored: %(n)s next best actions in the new run.", actions
        )
        % {"n": number_format(actions, force_grouping=True)}
        if actions
        else _("Scored: no next best action in the new run; the lines below say why."),
    )
    return redirect(reverse("web:setup") + "#readiness-actions")
