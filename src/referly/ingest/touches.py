"""Interactions in bulk: insert what is new, skip what is there (the unique touch key decides)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection

from referly.crm.models import Interaction
from referly.ingest.directory import Directory
from referly.ingest.mapping import ReferenceRule, Section
from referly.ingest.outcome import FileOutcome
from referly.ingest.rows import MappedRow, RowError, shown
from referly.ingest.values import BadValue

Touch = tuple[int, int, int, datetime]  # contact, teammate, kind, time
CHUNK = 50_000
_AUTO = ReferenceRule()


class TouchWriter:
    def __init__(self, section: Section, directory: Directory) -> None:
        self.section, self.directory = section, directory
        self.cache: dict[tuple[str, str], int | BadValue] = {}

    def _id(self, kind: str, field: str, raw: str) -> int:
        key = (kind, raw)
        if key not in self.cache:
            try:
                self.cache[key] = self.directory.resolve(kind, raw, self.section.references.get(field, _AUTO))
            except BadValue as exc:
                self.cache[key] = exc
        found = self.cache[key]
        if isinstance(found, BadValue):
            raise found
        return found

    def touch(self, row: MappedRow, file: str) -> Touch | RowError:
        values = row.values
        ids = []
        for field, kind in (("contact", "contacts"), ("teammate", "teammates")):
            try:
                ids.append(self._id(kind, field, values[field]))
            except BadValue as exc:
                return RowError(file, row.line, row.columns.get(field, field), shown(values[field]), f"{field} {exc}")
        return ids[0], ids[1], values["kind"], values["occurred_at"]

    def write(self, touches: list[Touch], outcome: FileOutcome) -> None:
        unique = sorted(set(touches))
        outcome.duplicates += len(touches) - len(unique)
        created = 0
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            created += insert_touches(chunk)
        outcome.created += created
        outcome.unchanged += len(unique) - created


def insert_touches(touches: list[Touch]) -> int:
    """Insert the touches not already there (the unique touch key decides); returns how many were new."""
    table = connection.ops.quote_name(Interaction._meta.db_table)
    columns = "contact_id, teammate_id, kind, occurred_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_touch (contact_id bigint, teammate_id bigint, "
                "kind smallint, occurred_at timestamptz) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE import_touch")
            with cursor.cursor.copy(f"COPY import_touch ({columns}) FROM STDIN") as copy:
                for touch in touches:
                    copy.write_row(touch)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM import_touch "
                "ON CONFLICT ON CONSTRAINT interaction_unique_touch DO NOTHING"
            )
            return int(cursor.rowcount)
        rows: list[tuple[Any, ...]] = [(c, t, k, _sqlite_time(at)) for c, t, k, at in touches]
        cursor.executemany(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES (%s, %s, %s, %s)", rows)
        return int(cursor.rowcount)


def _sqlite_time(at: datetime) -> str:
    """The text Django stores for an aware UTC time on SQLite."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
