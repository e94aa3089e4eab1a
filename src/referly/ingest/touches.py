"""Interactions in bulk: insert what is new, skip what is there (the unique touch key decides)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection

from referly.crm.models import Interaction
from referly.ingest.directory import Directory
from referly.ingest.mapping import ReferenceRule, Section
from referly.ingest.moments import micros, stored_times
from referly.ingest.outcome import FileOutcome
from referly.ingest.rows import MappedRow, RowError, shown
from referly.ingest.values import BadValue

Touch = tuple[int, int, int, datetime]  # contact, teammate, kind, time
CHUNK = 50_000
_AUTO = ReferenceRule()


@dataclasses.dataclass
class TouchColumns:
    """Touches as columns: contact and teammate ids, kind, time in microseconds since 1970 (UTC)."""

    contact: list[np.ndarray[Any, Any]] = dataclasses.field(default_factory=list)
    teammate: list[np.ndarray[Any, Any]] = dataclasses.field(default_factory=list)
    kind: list[np.ndarray[Any, Any]] = dataclasses.field(default_factory=list)
    at: list[np.ndarray[Any, Any]] = dataclasses.field(default_factory=list)

    def add(self, contact: Any, teammate: Any, kind: Any, at: Any) -> None:
        self.contact.append(np.asarray(contact, dtype=np.int64))
        self.teammate.append(np.asarray(teammate, dtype=np.int64))
        self.kind.append(np.asarray(kind, dtype=np.int64))
        self.at.append(np.asarray(at, dtype=np.int64))

    def unique(self) -> tuple[list[np.ndarray[Any, Any]], int]:
        """The distinct touches, sorted by the unique touch key, and how many rows repeated one."""
        if not self.contact:
            return [np.zeros(0, dtype=np.int64)] * 4, 0
        columns = [np.concatenate(c) for c in (self.contact, self.teammate, self.kind, self.at)]
        order = np.lexsort((columns[2], columns[3], columns[1], columns[0]))
        columns = [c[order] for c in columns]
        repeated = np.zeros(len(order), dtype=bool)
        if len(order) > 1:
            repeated[1:] = np.logical_and.reduce([c[1:] == c[:-1] for c in columns])
        return [c[~repeated] for c in columns], int(repeated.sum())


class TouchWriter:
    def __init__(self, section: Section, directory: Directory) -> None:
        self.section, self.directory = section, directory
        self.cache: dict[tuple[str, str], int | BadValue] = {}

    def resolved_id(self, kind: str, field: str, raw: str) -> int:
        """The id of the ``kind`` record ``raw`` names (each name looked up once per file); ``BadValue`` if none."""
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
                ids.append(self.resolved_id(kind, field, values[field]))
            except BadValue as exc:
                return RowError(file, row.line, row.columns.get(field, field), shown(values[field]), f"{field} {exc}")
        return ids[0], ids[1], values["kind"], values["occurred_at"]

    def write(self, touches: list[Touch], outcome: FileOutcome) -> None:
        columns = TouchColumns()
        if touches:
            contact, teammate, kind, at = zip(*touches, strict=True)
            columns.add(contact, teammate, kind, [micros(t) for t in at])
        self.write_columns(columns, outcome)

    def write_columns(self, touches: TouchColumns, outcome: FileOutcome) -> None:
        unique, repeated = touches.unique()
        outcome.duplicates += repeated
        created = 0
        for start in range(0, len(unique[0]), CHUNK):
            created += insert_touch_columns(*(c[start : start + CHUNK] for c in unique))
        outcome.created += created
        outcome.unchanged += len(unique[0]) - created


def insert_touches(touches: list[Touch]) -> int:
    """Insert the touches not already there (the unique touch key decides); returns how many were new."""
    if not touches:
        return 0
    contact, teammate, kind, at = zip(*touches, strict=True)
    return insert_touch_columns(
        np.asarray(contact, dtype=np.int64),
        np.asarray(teammate, dtype=np.int64),
        np.asarray(kind, dtype=np.int64),
        np.asarray([micros(t) for t in at], dtype=np.int64),
    )


def insert_touch_columns(
    contact: np.ndarray[Any, Any], teammate: np.ndarray[Any, Any], kind: np.ndarray[Any, Any], at: np.ndarray[Any, Any]
) -> int:
    """Insert the touches given as columns (times in microseconds since 1970, UTC) that are not already there;
    returns how many were new."""
    table = connection.ops.quote_name(Interaction._meta.db_table)
    columns = "contact_id, teammate_id, kind, occurred_at"
    times = stored_times(at, connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_touch (contact_id bigint, teammate_id bigint, "
                "kind smallint, occurred_at timestamptz) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE import_touch")
            lines = "".join(
                f"{c}\t{t}\t{k}\t{a}\n"
                for c, t, k, a in zip(contact.tolist(), teammate.tolist(), kind.tolist(), times, strict=True)
            )
            with cursor.cursor.copy(f"COPY import_touch ({columns}) FROM STDIN") as copy:
                copy.write(lines)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM import_touch "
                "ON CONFLICT ON CONSTRAINT interaction_unique_touch DO NOTHING"
            )
            return int(cursor.rowcount)
        rows = list(zip(contact.tolist(), teammate.tolist(), kind.tolist(), times, strict=True))
        cursor.executemany(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES (%s, %s, %s, %s)", rows)
        return int(cursor.rowcount)
