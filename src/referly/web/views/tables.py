"""The Reports page's "Tables for analysts": the export of `referly export tables`, zipped, as a download.

Admins and managers only (the roles that import the company's data), as the API's ``/tables``: the export
holds every owner's referrals, which members see only for themselves.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from referly.audit.trail import record
from referly.connect.tables import Format, build_export, consistent_read, require_tables, zip_export
from referly.errors import InvalidInput
from referly.web.pages import actor, page

OFFERED: dict[str, Format] = {"parquet": "parquet", "csv": "csv"}


@require_safe
@page()
def download(request: HttpRequest) -> HttpResponse:
    """``reports/tables.zip?format=parquet|csv``: every table and manifest.json, built as the CLI builds them."""
    fmt = OFFERED.get(request.GET.get("format", "parquet"))
    if fmt is None:
        raise InvalidInput(_("Choose the format parquet or csv."), field="format")
    require_tables(actor(request))
    now = timezone.now()
    with consistent_read():
        export = build_export(now, personal_data=True, secret=str(settings.SECRET_KEY))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- the response closes (and so removes) it once sent
    try:
        zip_export(export, fmt, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    name = f"referly-tables-{now:%Y-%m-%d}-{fmt}.zip"
    record("export.tables", request=request, subject=name, detail={"format": fmt, "personal_data": True})
    streamed = FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
    return streamed  # type: ignore[return-value]  # a streaming response: ``page`` types its views as HttpResponse
