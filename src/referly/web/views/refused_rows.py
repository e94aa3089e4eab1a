"""Every refused row of the import being previewed, as a CSV file a spreadsheet opens without running a cell.

The preview lists the first rows; this file holds them all. It is checked again from the kept upload (a dry
run: nothing is written), so it says what a commit would refuse now.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.http import HttpRequest, HttpResponse

from referly.access.roles import Permission
from referly.audit.trail import record
from referly.ingest.outcome import write_error_rows
from referly.web import uploads
from referly.web.pages import page
from referly.web.views.imports import importing


@page(Permission.IMPORT)
def download(request: HttpRequest) -> HttpResponse:
    kept = uploads.recall(request.session, request.GET.get("key", ""))
    checked = importing(kept, dry_run=True)
    text = io.StringIO(newline="")
    write_error_rows(text, checked.result.outcomes)
    response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    name = uploads.safe_name(f"{Path(kept.name).stem}-refused-rows.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    record("export.refused_rows", request=request, subject=name, detail={"import": kept.name})
    return response
