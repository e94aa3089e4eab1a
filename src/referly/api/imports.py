"""Imports: one CRM export uploaded (its kind given, or recognised), checked row by row; a dry run writes nothing."""

import hashlib
import tempfile
from pathlib import Path
from typing import Any, Literal, get_args

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from referly.access.roles import Permission
from referly.api import idempotency
from referly.api.auth import actor
from referly.api.schemas import WRITE, RowProblem
from referly.errors import InvalidInput
from referly.ingest.kinds import ORDER
from referly.ingest.readers import TABULAR_SUFFIXES

router = Router(tags=["imports"])
KindName = Literal[
    "teammates", "accounts", "contacts", "opportunities", "signals", "connections", "interactions", "referrals"
]
PresetName = Literal["hubspot", "salesforce", "pipedrive"]
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
assert set(get_args(KindName)) == set(ORDER), "the documented kinds are the importable kinds"


class ImportOptions(Schema):
    kind: KindName | None = Field(None, description="Left out: recognised from the file's name, then its header.")
    preset: PresetName | None = Field(None, description="A shipped mapping for the export's columns.")
    dry_run: bool = Field(False, description="Check every row and report; write nothing.")
    strict: bool = Field(False, description="One refused row and nothing is written.")


class ImportWarningOut(Schema):
    code: str = Field(..., description="missing_column, unknown_columns or unknown_stages")
    field: str
    message: str
    columns: list[str]


class FileReport(Schema):
    kind: str
    file: str
    created: int
    updated: int
    unchanged: int
    rejected: int
    duplicates_merged: int
    duplicates_flagged: int
    references_created: dict[str, int]
    touches_from_crm_activity: int = Field(..., description="CRM activity dates recorded as touches.")
    warnings: list[ImportWarningOut] = Field(..., description="What the file leaves out; never blocks.")
    notes: list[str]


class ImportReport(Schema):
    written: bool = Field(..., description="False for a dry run, or a strict import with refused rows.")
    dry_run: bool
    files: list[FileReport]
    errors: list[RowProblem] = Field(..., description="Every refused row: its line in the file, column and reason.")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in TABULAR_SUFFIXES:
        raise InvalidInput(
            f"The file {name!r} is not a file Referly reads ({', '.join(sorted(TABULAR_SUFFIXES))})",
            field="file",
            code="unreadable_file",
        )
    return suffix


@router.post("", response={200: ImportReport, **WRITE}, summary="Import one CRM export")
def import_file(
    request: HttpRequest,
    options: Form[ImportOptions],
    file: File[UploadedFile],
    idempotency_key: str | None = idempotency.Key,
) -> HttpResponse:
    """Multipart: ``file`` (CSV, TSV, XLSX or Parquet), ``kind``, and optionally ``preset``, ``dry_run``
    and ``strict``. The report lists every refused row by line, column and reason."""
    actor(request).require(Permission.IMPORT)
    data = file.read()
    suffix = _suffix(file.name or "upload.csv")
    if suffix in TEXT_SUFFIXES and b"\x00" in data:
        raise InvalidInput("A text file must not contain NUL characters", field="file", code="unreadable_file")
    payload = {**options.model_dump(mode="json"), "file": hashlib.sha256(data).hexdigest()}

    def run() -> tuple[int, Any]:
        return 200, _run(options, data, Path(file.name or "upload").stem[:100] + suffix)

    return idempotency.once(request, idempotency_key, payload, run)


def _run(options: ImportOptions, data: bytes, name: str) -> dict[str, Any]:
    from referly.ingest.importer import run_import, summary_row, targets_for
    from referly.ingest.mapping import load_mapping

    rules = load_mapping(None, options.preset)
    with tempfile.TemporaryDirectory(prefix="referly-api-import-") as scratch:
        path = Path(scratch) / (Path(name).name or "upload.csv")
        path.write_bytes(data)
        targets, rules = targets_for(options.kind, path, rules, Path(scratch) / "unpacked")
        result = run_import(targets, rules, now=timezone.now(), strict=options.strict, dry_run=options.dry_run)
    errors = [e for o in result.outcomes for e in o.errors]
    return {
        "written": result.written,
        "dry_run": options.dry_run,
        "files": [summary_row(o) for o in result.outcomes],
        "errors": [{"row": e.line, "field": e.column, "value": e.value, "reason": e.reason} for e in errors],
    }
