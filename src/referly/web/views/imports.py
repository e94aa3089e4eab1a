"""Import: upload a CRM export, see every refused row (a dry run writes nothing), then commit it.

The upload is kept in a private temporary file keyed in the session between the preview and the commit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from referly.access.roles import Permission
from referly.errors import InvalidInput, ReferlyError
from referly.ingest.importer import ImportResult, run_import, targets_for
from referly.ingest.kinds import ORDER
from referly.ingest.mapping import load_mapping
from referly.web import uploads
from referly.web.pages import page

PRESETS = ("hubspot", "salesforce", "pipedrive")
ERRORS_SHOWN = 200
FORM_FIELDS = ("file", "kind", "preset")  # an error about anything else is shown on the file


@page(Permission.IMPORT)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return import_page(request)
    kind = request.POST.get("kind", "")
    preset = request.POST.get("preset", "")
    strict = request.POST.get("strict") == "on"
    values = {"kind": kind, "preset": preset, "strict": strict}
    file = request.FILES.get("file")
    try:
        if file is None:
            raise InvalidInput(_("Choose a file to import"), field="file", code="file_required")
        if kind and kind not in ORDER:
            raise InvalidInput(f"The kind {kind!r} is not one of {', '.join(ORDER)}", field="kind", code="unknown_kind")
        if preset and preset not in PRESETS:
            raise InvalidInput(
                f"The preset {preset!r} is not one of {', '.join(PRESETS)}", field="preset", code="unknown_preset"
            )
        kept = uploads.keep(file, kind, preset, strict)
        uploads.remember(request.session, kept)
        result = importing(kept, dry_run=True)
    except ReferlyError as exc:
        uploads.forget(request.session)
        return import_page(request, values=values, error=str(exc), error_field=exc.field, status=exc.http_status)
    return import_page(request, values=values, upload=kept, result=result)


@page(Permission.IMPORT)
def commit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return import_page(request)
    try:
        kept = uploads.recall(request.session, request.POST.get("key", ""))
        result = importing(kept, dry_run=False)
    except ReferlyError as exc:
        return import_page(request, error=str(exc), error_field=exc.field, status=exc.http_status)
    uploads.forget(request.session)
    return import_page(request, upload=kept, result=result, committed=True)


def importing(kept: uploads.Upload, *, dry_run: bool) -> ImportResult:
    """Run the importer on the kept file: one transaction, rolled back for a dry run or a strict refusal."""
    rules = load_mapping(None, kept.preset or None)
    with tempfile.TemporaryDirectory(prefix="referly-import-") as scratch:
        targets = targets_for(kept.kind or None, kept.path, rules, Path(scratch))
        return run_import(targets, rules, now=timezone.now(), strict=kept.strict, dry_run=dry_run)


def import_page(
    request: HttpRequest,
    *,
    values: dict[str, Any] | None = None,
    upload: uploads.Upload | None = None,
    result: ImportResult | None = None,
    committed: bool = False,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = [e for o in result.outcomes for e in o.errors] if result is not None else []
    return render(
        request,
        "web/import.html",
        {
            "section": "import",
            "kinds": ORDER,
            "presets": PRESETS,
            "values": values or {},
            "upload": upload,
            "result": result,
            "errors": errors[:ERRORS_SHOWN],
            "error_count": len(errors),
            "committed": committed,
            "error": error,
            "error_field": (error_field if error_field in FORM_FIELDS else "file") if error else "",
        },
        status=status,
    )
