"""The audit trail (admins): every event newest first, filtered by kind, actor, days and subject; as CSV."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from referly.access.roles import Permission
from referly.audit import sheet
from referly.audit.queries import EventFilter, events, kinds, parse_filter
from referly.audit.trail import record, retention_days
from referly.errors import ReferlyError
from referly.web.navigation import page_of, query_without_page
from referly.web.pages import page

PAGE_SIZE = 100
FIELDS = ("kind", "actor", "since", "until", "q")


def _values(request: HttpRequest) -> dict[str, str]:
    return {name: str(request.GET.get(name, "")) for name in FIELDS}


def described(detail: dict[str, Any]) -> str:
    """An event's detail as one line: ``from: member, to: manager``."""
    return ", ".join(
        f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value}"
        for key, value in detail.items()
    )


@require_safe
@page(Permission.ADMINISTER)
def audit(request: HttpRequest) -> HttpResponse:
    values = _values(request)
    error, error_field, status = "", "", 200
    try:
        wanted = parse_filter(values)
    except ReferlyError as exc:
        wanted, error, error_field, status = EventFilter(), exc.sentence, exc.field or "", exc.http_status
    listing = page_of(request, events(wanted), PAGE_SIZE)
    return render(
        request,
        "web/audit.html",
        {
            "section": "settings",
            "listing": listing,
            "rows": [{"event": e, "detail": described(e.detail)} for e in listing.object_list],
            "query": query_without_page(request),
            "values": values,
            "kinds": kinds(),
            "retention": retention_days(),
            "error": error,
            "error_field": error_field,
        },
        status=status,
    )


@require_safe
@page(Permission.ADMINISTER)
def export(request: HttpRequest) -> HttpResponse:
    """The filtered events as CSV, streamed; the export is recorded first, so it is in the file too."""
    wanted = parse_filter(_values(request))  # a refusal is rendered as an error page by ``page``
    found = events(wanted)
    record("export.audit", request=request, subject="audit.csv", detail={"events": found.count(), **wanted.as_detail()})
    name = f"referly-audit-{timezone.localdate():%Y-%m-%d}.csv"
    streamed = StreamingHttpResponse(
        sheet.chunks(found.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    streamed["Content-Disposition"] = f'attachment; filename="{name}"'
    return streamed  # type: ignore[return-value]  # a streaming response: ``page`` types its views as HttpResponse
