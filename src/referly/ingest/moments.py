"""Type a whole column of ISO 8601 times at once, the way ``values.moment`` types one cell.

Only the common shapes are typed here (``YYYY-MM-DD``, ``YYYY-MM-DD[T ]HH:MM:SS`` with an optional
``Z`` or ``+HH:MM`` offset, no space around). A cell of any other shape, or one that breaks a rule
(a 30th of February, before 1900, in the future), is left to ``values.moment``, which words the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from referly.ingest.values import FUTURE_SLACK

SHAPE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?)?$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# The latest written year typed here: a later one may not fit a datetime once moved to UTC.
LAST_YEAR = 9998


def micros(at: datetime) -> int:
    """An aware time as microseconds since 1970 (UTC)."""
    return (at - EPOCH) // MICROSECOND


def moments(cells: pa.StringArray, now: datetime, *, future: bool = False) -> tuple[np.ndarray[Any, Any], Any]:
    """Microseconds since 1970 (UTC) for every cell, and which cells were typed (the others are left alone)."""
    size = len(cells)
    stamps = np.zeros(size, dtype=np.int64)
    typed = np.asarray(pc.fill_null(pc.match_substring_regex(cells, SHAPE), False), dtype=bool)
    where = np.flatnonzero(typed)
    if not where.size:
        return stamps, typed
    text = pc.take(cells, pa.array(where))
    length = np.asarray(pc.utf8_length(text), dtype=np.int64)
    padded = pc.utf8_rpad(text, 25, "0")  # a date alone reads as midnight, no offset as UTC

    def part(start: int, stop: int) -> np.ndarray[Any, Any]:
        return np.asarray(pc.cast(pc.utf8_slice_codeunits(padded, start, stop), pa.int64()), dtype=np.int64)

    year, month, day = part(0, 4), part(5, 7), part(8, 10)
    hour, minute, second = part(11, 13), part(14, 16), part(17, 19)
    with_offset = length == 25
    sign = np.where(np.asarray(pc.utf8_slice_codeunits(padded, 19, 20)) == "-", -1, 1)
    off_hours = np.where(with_offset, part(20, 22), 0)
    off_minutes = np.where(with_offset, part(23, 25), 0)
    good = (
        (year >= 1900)
        & ((year <= LAST_YEAR) | (not future))
        & (month >= 1)
        & (month <= 12)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
        & (off_hours <= 23)
        & (off_minutes <= 59)
    )
    months = np.where(good, (year - 1970) * 12 + month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    following = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    good &= (day >= 1) & (day <= following - first)
    seconds = ((first + day - 1) * 24 + hour) * 3600 + minute * 60 + second - sign * (off_hours * 60 + off_minutes) * 60
    at = seconds * 1_000_000
    if not future:
        good &= at <= micros(now + FUTURE_SLACK)
    stamps[where] = np.where(good, at, 0)
    typed[where] = good
    return stamps, typed


def stored_times(stamps: np.ndarray[Any, Any], vendor: str) -> list[str]:
    """Microseconds since 1970 as the text each database stores for an aware UTC time.

    SQLite: what Django writes (``isoformat(" ")`` of the naive UTC time, microseconds only when not 0);
    PostgreSQL: the same with its offset, for COPY into a ``timestamptz``."""
    at = stamps.astype("datetime64[us]")
    text = np.datetime_as_string(at.astype("datetime64[s]"), unit="s")
    whole = stamps % 1_000_000 == 0
    if not whole.all():
        text = np.where(whole, text, np.datetime_as_string(at, unit="us"))
    text = np.char.replace(text, "T", " ")
    if vendor == "postgresql":
        text = np.char.add(text, "+00:00")
    out: list[str] = text.tolist()
    return out
