"""Rows pushed by a CRM or CS tool, written through the importer's own path: typed, checked, resolved, upserted.

Every row is checked before anything is written; one refused row and the request writes nothing (the
caller's transaction rolls back), and the answer names each refused row's index, field and reason.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Schema

from referly.access.roles import Permission
from referly.api.schemas import Written
from referly.errors import InvalidInput
from referly.ingest.directory import Directory
from referly.ingest.kinds import kind_spec
from referly.ingest.mapping import Section
from referly.ingest.outcome import FileOutcome
from referly.ingest.readers import SourceRow
from referly.ingest.rows import MappedRow, RowConverter, RowError
from referly.ingest.touches import Touch, TouchWriter
from referly.ingest.upserts import RecordWriter

REQUEST = "request"


class RowsRefused(InvalidInput):
    """Some rows of a bulk request were refused: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) refused: nothing was written", code="rows_refused")
        self.rows = [problem(e) for e in errors]


def problem(error: RowError) -> dict[str, Any]:
    return {"row": error.line, "field": error.column, "value": error.value, "reason": error.reason}


def push(kind: str, rows: list[dict[str, Any]], source_system: str, now: datetime) -> Written:
    """Create or update ``rows`` of ``kind`` as an import of one file would; ``RowsRefused`` if any is bad."""
    spec = kind_spec(kind)
    section = Section(kind)
    converter = RowConverter(spec, section, REQUEST, now, [f.name for f in spec.fields])
    directory = Directory(source_system.strip().lower(), now)
    outcome = FileOutcome(kind, REQUEST)
    items = [SourceRow(n, {k: v for k, v in row.items() if v is not None}) for n, row in enumerate(rows)]
    if kind == "interactions":
        touches = TouchWriter(section, directory)
        found: list[Touch] = []
        for item in items:
            row = converter.convert(item)
            touch = touches.touch(row, REQUEST) if isinstance(row, MappedRow) else row
            if isinstance(touch, RowError):
                outcome.errors.append(touch)
            else:
                found.append(touch)
        if not outcome.errors:
            touches.write(found, outcome)
    else:
        writer = RecordWriter(spec, section, directory, now)
        good: list[MappedRow] = []
        for item in items:
            row = converter.convert(item)
            error = writer.resolve(row, REQUEST) if isinstance(row, MappedRow) else row
            if error is None and isinstance(row, MappedRow):
                good.append(row)
            elif error is not None:
                outcome.errors.append(error)
        if not outcome.errors:
            writer.write(good, outcome)
    if outcome.errors:
        raise RowsRefused(sorted(outcome.errors, key=lambda e: e.line))
    return Written(
        created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged, duplicates=outcome.duplicates
    )


def push_once(request: HttpRequest, kind: str, batch: Schema, key: str | None) -> HttpResponse:
    """A bulk push endpoint: import permission, then ``push`` once per idempotency key."""
    from referly.api import idempotency
    from referly.api.auth import actor

    actor(request).require(Permission.IMPORT)
    payload = batch.model_dump(mode="json")

    def run() -> tuple[int, Any]:
        written = push(kind, payload["rows"], payload["source_system"], timezone.now())
        return 200, written.model_dump(mode="json")

    return idempotency.once(request, key, payload, run)
