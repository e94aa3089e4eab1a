"""Monthly reviews: the list, freezing a month with its decisions, reading one, and its HTML and PDF."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.audit.trail import record
from referly.errors import InvalidInput, NotFound, ReferlyError
from referly.reports import review as reviewing
from referly.reports.models import Review
from referly.reports.page import as_html, view, write_pdf
from referly.reports.review import month_scope, pack_context
from referly.reports.scope import configured_goal, parse_month
from referly.web.pages import actor, page
from referly.web.views.reports import months_over

MAX_DECISIONS = 50


@page()
def reviews(request: HttpRequest) -> HttpResponse:
    return reviews_page(request)


def reviews_page(
    request: HttpRequest, error: str = "", values: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    listed = list(Review.objects.select_related("created_by").defer("figures").order_by("-month")[:60])
    return render(
        request,
        "web/reviews.html",
        {
            "section": "reviews",
            "reviews": listed,
            "staleness": reviewing.staleness(reviewing.latest_review(), now, on_web=True),
            "months": months_over(now),
            "error": error,
            "values": values or {"month": months_over(now, 1)[0]},
        },
        status=status,
    )


@require_POST
@page(Permission.REVIEW)
def freeze(request: HttpRequest) -> HttpResponse:
    """Freeze a month's figures with the decisions taken (one per line), as `referly review` does."""
    now = timezone.now()
    month = request.POST.get("month", "")
    decisions = [d.strip() for d in request.POST.get("decisions", "").splitlines() if d.strip()]
    replace = request.POST.get("replace") == "on"
    values: dict[str, object] = {"month": month, "decisions": request.POST.get("decisions", ""), "replace": replace}
    try:
        if len(decisions) > MAX_DECISIONS:
            raise InvalidInput(_("Too many decisions: at most %(n)s.") % {"n": MAX_DECISIONS})
        scope = month_scope(month, now)
        with transaction.atomic():
            reviewing.freeze(
                scope, configured_goal(), decisions, now=now, replace=replace, by=actor(request).teammate()
            )
    except ReferlyError as exc:
        return reviews_page(request, str(exc), values, status=exc.http_status)
    messages.success(request, _("The review of %(month)s is frozen.") % {"month": scope.label()})
    return redirect(reverse("web:review", args=[scope.label()]))


def frozen_review(month: str) -> Review:
    try:
        found = Review.objects.select_related("created_by").defer("figures").filter(month=parse_month(month)).first()
    except InvalidInput:
        found = None
    if found is None:
        raise NotFound(f"No frozen review of {month}")
    return found


@page()
def review(request: HttpRequest, month: str) -> HttpResponse:
    found = frozen_review(month)
    now = timezone.now()
    context = pack_context(month_scope(month, now), now, translation.get_language() or "en", on_web=True)
    return render(
        request,
        "web/review.html",
        {"section": "reviews", "review": found, "month": month, "pack": view(context)},
    )


@page()
def export(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    """The frozen review as the offline HTML page, or that page printed to PDF by headless Chromium."""
    if fmt not in ("html", "pdf"):
        raise NotFound(f"No {fmt} export: html or pdf")
    frozen_review(month)
    now = timezone.now()
    html = as_html(pack_context(month_scope(month, now), now))
    name = f"review-{month}.{fmt}"
    if fmt == "html":
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="referly-web-pdf-") as folder:
            out = Path(folder) / name
            write_pdf(html, out)
            response = HttpResponse(out.read_bytes(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    record("export.review", request=request, subject=name)
    return response
