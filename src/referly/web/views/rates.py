"""Exchange rates (admins and managers): the stored rates per currency, and a rates file uploaded to add to them.

The upload is read by the parser and stored by the storage `referly fx import` uses, in one transaction: a file
with a problem is refused whole, nothing written, and the page names the file, line, field and reason.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from referly.access.roles import Permission
from referly.audit.trail import record
from referly.errors import InvalidInput, ReferlyError
from referly.reports.exchange_rates import Stored, base_currency, store_rates, stored_summary
from referly.reports.fx import EURO, LOOKBACK_DAYS, RatesFile, read_rates
from referly.reports.wording import grouped
from referly.web.pages import page
from referly.web.uploads import safe_name

MAX_BYTES = 50 * 1024 * 1024  # the ECB's whole history since 1999 is about 7 MB
RUNS_SHOWN = 5


@page(Permission.IMPORT)
def rates(request: HttpRequest) -> HttpResponse:
    return rates_page(request)


@page(Permission.IMPORT)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return rates_page(request)
    file = request.FILES.get("file")
    try:
        if file is None:
            raise InvalidInput(_("Choose a rates file to import"), field="file", code="file_required")
        name = safe_name(file.name or "rates.csv")
        if file.size is not None and file.size > MAX_BYTES:
            raise InvalidInput(
                _("%(name)s is larger than %(mb)s MB: it is not a rates file") % {"name": name, "mb": MAX_BYTES >> 20},
                field="file",
                code="file_too_large",
            )
        try:
            text = file.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                _("%(name)s is not a text file in UTF-8: upload the CSV itself, not its zip") % {"name": name},
                field="file",
                code="bad_rates_file",
            ) from None
        found = read_rates(text, name)
        with transaction.atomic():
            stored = store_rates(found, timezone.now())
            record("settings.changed", request=request, subject=f"exchange rates from {name}", detail=vars(stored))
    except ReferlyError as exc:
        return rates_page(request, error=exc, status=exc.http_status)
    return rates_page(request, outcome=outcome(name, found, stored))


def outcome(name: str, found: RatesFile, stored: Stored) -> dict[str, Any]:
    """What the import did, with its numbers written in the reader's language."""
    lang = get_language() or "en"
    dates = found.dates
    gaps = []
    for gap in found.gaps:
        runs = [str(a) if a == b else _("%(first)s to %(last)s") % {"first": a, "last": b} for a, b in gap.runs]
        gaps.append(
            {
                "currency": gap.currency,
                "days": grouped(gap.days, 0, lang),
                "runs": ", ".join(runs[:RUNS_SHOWN]),
                "more": max(len(runs) - RUNS_SHOWN, 0),
            }
        )
    return {
        "file": name,
        "shape": found.shape,
        "rates": grouped(len(found.rates), 0, lang),
        "currencies": ", ".join(found.currencies),
        "dates": grouped(len(dates), 0, lang),
        "first": dates[0].isoformat(),
        "last": dates[-1].isoformat(),
        "added": grouped(stored.added, 0, lang),
        "changed": grouped(stored.changed, 0, lang),
        "unchanged": grouped(stored.unchanged, 0, lang),
        "gaps": gaps,
    }


def rates_page(
    request: HttpRequest,
    *,
    outcome: dict[str, Any] | None = None,
    error: ReferlyError | None = None,
    status: int = 200,
) -> HttpResponse:
    lang = get_language() or "en"
    stored = [{**row, "rates": grouped(int(str(row["rates"])), 0, lang)} for row in stored_summary()]
    base = base_currency()
    return render(
        request,
        "web/rates.html",
        {
            "section": "import",
            "base": base,
            "stored": stored,
            "base_missing": base != EURO and all(row["currency"] != base for row in stored),
            "outcome": outcome,
            "lookback": LOOKBACK_DAYS,
            "error": error.message if error is not None else "",
            "error_detail": error.detail or "" if error is not None else "",
        },
        status=status,
    )
