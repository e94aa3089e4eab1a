"""Import: upload a CRM export, see every refused row and warning (a dry run writes nothing), then commit it.

The upload is kept in a private temporary file keyed in the session between the preview and the commit.
For a single file the preview also offers the mapping step: a column for each field of the kind it holds,
and an open stage for each deal stage Referly does not know. The choice is saved as a mapping file
(``referly.ingest.saved``) that later previews, commits and ``referly import --mapping`` use.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from referly.access.roles import Permission
from referly.audit.trail import import_detail, record
from referly.crm.models import OpportunityStage
from referly.errors import InvalidInput, ReferlyError
from referly.ingest.importer import ImportResult, run_import, summary_row, targets_for
from referly.ingest.kinds import KINDS, ORDER
from referly.ingest.mapping import Mapping, load_mapping
from referly.ingest.saved import render_mapping, save_mapping, saved_for, stages_saved
from referly.web import uploads
from referly.web.pages import page

PRESETS = ("hubspot", "salesforce", "pipedrive")
ERRORS_SHOWN = 200
FORM_FIELDS = ("file", "kind", "preset")  # an error about anything else is shown on the file


@dataclass
class Checked:
    """One run of the importer over the kept upload, with what the mapping step needs."""

    result: ImportResult
    kind: str  # the kind of a single file ("" for a zip)
    mapping: Mapping
    saved: Path | None = None  # the saved mapping this run read
    fields: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


@page(Permission.IMPORT)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return import_page(request)
    if request.POST.get("step") == "mapping":
        return _choose_mapping(request)
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
        checked = importing(kept, dry_run=True)
    except ReferlyError as exc:
        uploads.forget(request.session)
        return import_page(request, values=values, error=str(exc), error_field=exc.field, status=exc.http_status)
    return import_page(request, values=values, upload=kept, checked=checked)


def _choose_mapping(request: HttpRequest) -> HttpResponse:
    """Save the columns and stages chosen on the preview as the mapping of this export, and check again."""
    try:
        kept = uploads.recall(request.session, request.POST.get("key", ""))
        first = importing(kept, dry_run=True)
        if not first.kind:
            raise InvalidInput(_("Map the files of a zip one at a time"), field="file", code="zip_mapping")
        spec = KINDS[first.kind]
        headers = set(first.headers)
        fields = {}
        for f in spec.fields:
            column = request.POST.get(f"column-{f.name}", "")
            if column and column not in headers:
                raise InvalidInput(f"{kept.name} has no column {column!r}", field="file", code="unknown_column")
            fields[f.name] = column
        stages = stages_saved(kept.preset, first.kind)
        known_stages = {str(found["name"]) for found in first.stages}
        for n in range(len(first.stages)):
            raw, ours = request.POST.get(f"stage-name-{n}", ""), request.POST.get(f"stage-{n}", "")
            if raw and raw not in known_stages:
                raise InvalidInput(f"{kept.name} has no deal stage {raw!r}", field="file", code="unknown_stage")
            if raw and ours:
                if ours not in OpportunityStage.values:
                    raise InvalidInput(f"{ours!r} is not a deal stage", field="file", code="unknown_stage")
                stages[raw] = ours
        text = render_mapping(first.mapping, first.kind, fields, stages, kept.name, timezone.now())
        saved = save_mapping(kept.preset, first.kind, text)
        checked = importing(kept, dry_run=True)
    except ReferlyError as exc:
        return import_page(request, error=str(exc), error_field=exc.field, status=exc.http_status)
    values = {"kind": kept.kind, "preset": kept.preset, "strict": kept.strict}
    return import_page(request, values=values, upload=kept, checked=checked, saved_now=saved)


@page(Permission.IMPORT)
def commit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return import_page(request)
    try:
        kept = uploads.recall(request.session, request.POST.get("key", ""))
        checked = importing(kept, dry_run=False)
    except ReferlyError as exc:
        return import_page(request, error=str(exc), error_field=exc.field, status=exc.http_status)
    done = import_detail(summary_row(o) for o in checked.result.outcomes)
    event = "import.committed" if checked.result.written else "import.refused"
    record(event, request=request, subject=kept.name, detail=done)
    uploads.forget(request.session)
    return import_page(request, upload=kept, checked=checked, committed=True)


def importing(kept: uploads.Upload, *, dry_run: bool) -> Checked:
    """Run the importer on the kept file: one transaction, rolled back for a dry run or a strict refusal.

    A single file is read through the mapping saved for its preset and kind, when there is one."""
    rules = load_mapping(None, kept.preset or None)
    with tempfile.TemporaryDirectory(prefix="referly-import-") as scratch:
        targets, rules = targets_for(kept.kind or None, kept.path, rules, Path(scratch))
        single = len(targets) == 1 and kept.path.suffix.lower() != ".zip"
        kind = targets[0][0] if single else ""
        saved = saved_for(kept.preset, kind) if kind else None
        if saved is not None:
            rules = load_mapping(saved)
        result = run_import(targets, rules, now=timezone.now(), strict=kept.strict, dry_run=dry_run)
    checked = Checked(result, kind, rules, saved)
    if kind and result.outcomes and not result.outcomes[0].failure:
        outcome = result.outcomes[0]
        checked.headers = list(outcome.columns)
        checked.fields = [
            {"name": f.name, "required": f.required, "column": outcome.used.get(f.name, "")} for f in KINDS[kind].fields
        ]
        checked.stages = [{"name": s, "count": n} for s, n in sorted(outcome.unknown_stages.items())]
    return checked


def import_page(
    request: HttpRequest,
    *,
    values: dict[str, Any] | None = None,
    upload: uploads.Upload | None = None,
    checked: Checked | None = None,
    committed: bool = False,
    saved_now: Path | None = None,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> HttpResponse:
    result = checked.result if checked is not None else None
    errors = [e for o in result.outcomes for e in o.errors] if result is not None else []
    warnings = [w for o in result.outcomes for w in o.warnings] if result is not None else []
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
            "checked": checked,
            "warnings": warnings,
            "failures": [o for o in result.outcomes if o.failure] if result is not None else [],
            "notes": [(o.file, n) for o in result.outcomes for n in o.notes] if result is not None else [],
            "stage_choices": OpportunityStage.choices,
            "saved_now": saved_now,
            "errors": errors[:ERRORS_SHOWN],
            "error_count": len(errors),
            "committed": committed,
            "error": error,
            "error_field": (error_field if error_field in FORM_FIELDS else "file") if error else "",
        },
        status=status,
    )
