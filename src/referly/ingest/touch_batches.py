"""Interactions a batch at a time: whole columns typed, each distinct reference resolved once.

A row the batch cannot type or resolve in one go goes through the row-by-row path (``RowConverter.convert``
then ``TouchWriter.touch``), so every refused row is reported by the same code, with the same words, as
before: the batch only ever accepts rows that path would accept, with the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
import pyarrow as pa

from referly.ingest.kinds import INTERACTION_KINDS
from referly.ingest.moments import micros, moments
from referly.ingest.readers import RowProblem, SourceRow
from referly.ingest.rows import FieldStep, MappedRow, RowConverter, RowError
from referly.ingest.touches import TouchColumns, TouchWriter
from referly.ingest.values import BadValue

BATCH = 50_000
REFERENCES = (("contact", "contacts"), ("teammate", "teammates"))  # the order the row-by-row path resolves them
_MISSING = object()
_REFUSED = object()
_NONE = np.iinfo(np.int64).min  # no value: the row goes the row-by-row way


def import_touches(
    rows: Iterator[SourceRow | RowProblem],
    converter: RowConverter,
    writer: TouchWriter,
    file: str,
    errors: list[RowError],
    report: Callable[[int], None] | None,
) -> TouchColumns:
    """Type, check and resolve every row; the refused ones are added to ``errors`` in the order of the file."""
    touches = TouchColumns()
    batches = BatchTyping(converter, writer)
    while batch := list(islice(rows, BATCH)):
        slow = batches.take(batch, touches)
        for item in slow:
            row = converter.convert(item)
            touch = writer.touch(row, file) if isinstance(row, MappedRow) else row
            if isinstance(touch, RowError):
                errors.append(touch)
            else:
                contact, teammate, kind, at = touch
                touches.add([contact], [teammate], [kind], [micros(at)])
        if report and len(batch) == BATCH:
            report(BATCH)
    return touches


class BatchTyping:
    def __init__(self, converter: RowConverter, writer: TouchWriter) -> None:
        self.converter, self.writer = converter, writer
        self.steps = {step.name: step for step in converter.field_plan()}
        self.timed = self._iso_time(self.steps.get("occurred_at"))

    def _iso_time(self, step: FieldStep | None) -> bool:
        """Whether the time column can be typed whole: ISO text, no value map."""
        if step is None or step.constant:
            return False
        section = self.converter.section
        return section.formats.get("occurred_at") in (None, "iso") and not section.values.get("occurred_at")

    def take(self, batch: list[SourceRow | RowProblem], touches: TouchColumns) -> list[SourceRow | RowProblem]:
        """Add the touches of the rows typed and resolved here; returns the rows left to the row-by-row path."""
        size = len(batch)
        steps = self.steps
        if set(steps) != {"contact", "teammate", "kind", "occurred_at"}:
            return batch
        ok = np.fromiter((isinstance(item, SourceRow) for item in batch), dtype=bool, count=size)
        rows = [item for item in batch if isinstance(item, SourceRow)]
        header = rows[0].header if rows and all(r.as_read and r.header is rows[0].header for r in rows) else None
        cells = {name: self._cells(batch, step, header) for name, step in steps.items()}
        time_cells = _strings(cells["occurred_at"]) if self.timed else None
        if time_cells is not None:
            at, typed = moments(time_cells, self.converter.now, future=False)
            ok &= typed
        else:
            times, codes = _by_distinct(cells["occurred_at"], steps["occurred_at"].typed)
            table = np.array([micros(t) if isinstance(t, datetime) else _NONE for t in times], dtype=np.int64)
            at = table[codes]
            ok &= at != _NONE
        kind_of = steps["kind"].typed
        kinds, codes = _by_distinct(cells["kind"], lambda raw: INTERACTION_KINDS.get(kind_of(raw), _REFUSED))
        kind = np.array([k if isinstance(k, int) else _NONE for k in kinds], dtype=np.int64)[codes]
        ok &= kind != _NONE
        names = {}
        for name, _ in REFERENCES:
            typed_names, codes = _by_distinct(cells[name], steps[name].typed)
            named = np.array([isinstance(n, str) and n != "" for n in typed_names], dtype=bool)
            ok &= named[codes]
            names[name] = (typed_names, codes)
        ids = {}
        for name, kind_name in REFERENCES:
            ids[name] = self._resolve(name, kind_name, *names[name], ok)
            ok &= ids[name] >= 0
        touches.add(ids["contact"][ok], ids["teammate"][ok], kind[ok], at[ok])
        return [item for item, fine in zip(batch, ok.tolist(), strict=True) if not fine]

    def _cells(self, batch: list[SourceRow | RowProblem], step: FieldStep, header: list[str] | None) -> list[Any]:
        """The step's cell of every row (``_MISSING`` where a row has none). Rows as read (all with ``header``)
        give their cells as they are: a blank one is told from the others once per distinct value."""
        if step.constant:
            return [step.fixed] * len(batch)
        column = step.column
        if header and column in header:
            at = header.index(column)
            return [item.cells[at] if isinstance(item, SourceRow) and item.cells else _MISSING for item in batch]
        return [item.values.get(column, _MISSING) if isinstance(item, SourceRow) else _MISSING for item in batch]

    def _resolve(
        self, name: str, kind: str, distinct: list[Any], codes: np.ndarray[Any, Any], ok: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """The record id of each row's reference (-1 when it does not resolve), each distinct name resolved once,
        in the order the rows first name it (a teammate the rule creates gets the id the row-by-row path gives)."""
        named = codes[ok]
        seen, first = np.unique(named, return_index=True)
        table = np.full(len(distinct), -1, dtype=np.int64)
        for code in seen[np.argsort(first)].tolist():
            with suppress(BadValue):  # the row-by-row path words the reason
                table[code] = self.writer.resolved_id(kind, name, distinct[code])
        return np.where(ok, table[codes], -1)


def _strings(cells: list[Any]) -> pa.StringArray | None:
    """The cells as an Arrow text column, or None when one is not text (an XLSX or Parquet value)."""
    try:
        return pa.array(cells, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _by_distinct(cells: list[Any], typed: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray[Any, Any]]:
    """The distinct cells typed by ``typed`` (``_REFUSED`` where it complains), and each cell's place among them."""
    text = _strings(cells)
    if text is not None:
        encoded = text.dictionary_encode(null_encoding="encode")
        distinct = encoded.dictionary.to_pylist()
        codes = np.asarray(encoded.indices, dtype=np.int64)
    else:
        places: dict[tuple[type, Any], int] = {}
        distinct, found = [], []
        for raw in cells:
            key = (type(raw), raw)  # 1, 1.0 and True are equal keys but not the same cell
            try:
                place = places.setdefault(key, len(distinct))
            except TypeError:  # a cell that cannot be a key (no reader gives one): a place of its own
                place = len(distinct)
            if place == len(distinct):
                distinct.append(raw)
            found.append(place)
        codes = np.asarray(found, dtype=np.int64)
    return [_REFUSED if raw is _MISSING else _typed_or_refused(typed, _blank_is_none(raw)) for raw in distinct], codes


def _blank_is_none(raw: Any) -> Any:
    """A blank text cell is no value, as ``SourceRow.values`` gives it (a reader gives blank text no other way)."""
    return None if isinstance(raw, str) and not raw.strip() else raw


def _typed_or_refused(typed: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return typed(raw)
    except BadValue:
        return _REFUSED
