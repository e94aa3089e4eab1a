"""Opportunity journeys: the touches recorded before each deal closed, for the multi-touch attribution models.

One journey per opportunity closed (won or lost) in the scope's trailing window (``Scope.window_period``, by
``closed_on``, as the other rates), made of what the database records at the deal's account, in time order:

- every interaction (``crm.Interaction``) between a teammate and a contact at the deal's account, from 180 days
  before the deal was created to the end of the day it closed, as the channel named by its kind ("e-mail sent",
  "e-mail received", "meeting", "call", "note"). The same kind at the same moment with several contacts of the
  account (one meeting, three attendees) is one touch;
- a "referral introduction" touch when a referral targeting the account first entered ``introduced`` in that
  same span.

Converted means won. The value is the amount in the report's currency (``DealRecord.amount``); a deal recorded in
another currency, or without an amount, is worth 0 by value. A closed deal with no recorded touch has no journey
and is counted apart. Nothing recorded at or after the as-of moment is read.

One query reads every touch of every deal at once, as ``(deal, microseconds since 1970, channel code)``: the
closed deals with their span widened by a day each side (so that no time zone can cut a touch off), joined to
their account's contacts' interactions (read through the index on the contact) and to the first introduction of
each referral targeting the account. The exact spans, the de-duplication and the ordering are done on the arrays
(``referly.reports.journey_columns``): no row becomes a Python object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from referly.crm.models import InteractionKind
from referly.reports.attribution import Journey
from referly.reports.journey_columns import EPOCH, MICROSECOND, JourneyColumns
from referly.reports.queries import DealRecord, Records
from referly.reports.scope import Scope

LOOKBACK = timedelta(days=180)
"""How long before a deal's creation its account's touches still count."""
INTRODUCTION = "referral introduction"
CHANNELS: dict[int, str] = {kind.value: str(kind.label).lower() for kind in InteractionKind}
"""Interaction kind → channel name, e.g. 1 → "e-mail sent"."""
CLOSED = ("won", "lost")


@dataclass(frozen=True)
class DealJourney:
    deal: DealRecord
    journey: Journey


@dataclass(frozen=True)
class Journeys:
    """The journeys of the deals closed in the window, and how many closed deals had no recorded touch."""

    found: tuple[DealJourney, ...]
    without_touches: int

    @property
    def journeys(self) -> list[Journey]:
        return [j.journey for j in self.found]

    @property
    def won(self) -> int:
        return sum(1 for j in self.found if j.journey.converted)

    @property
    def lost(self) -> int:
        return len(self.found) - self.won


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def closed_in_window(records: Records) -> list[DealRecord]:
    period = records.scope.window_period
    return [
        d
        for d in records.deals
        if d.outcome in CLOSED and d.closed_on is not None and period.start <= d.closed_on <= period.end
    ]


INTRODUCTION_CODE = 0
"""The channel code of a referral introduction; interactions keep their kind (1 and up)."""
MARGIN_DAYS = 1
"""How far the query widens each span: more than any time zone's offset from UTC."""


@dataclass(frozen=True)
class DealTouches:
    """The journeys of the deals closed in the window as columns, the deal of each, and the deals without any
    recorded touch."""

    deals: tuple[DealRecord, ...]
    columns: JourneyColumns
    without_touches: int


def _microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _microseconds_sql(column: str) -> str:
    """SQL for a timestamp column as whole microseconds since 1970-01-01 UTC, in this database's dialect."""
    from django.db import connection

    from referly.scoring.store import epoch_sql

    if connection.vendor == "sqlite":  # stored as text: 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        digits = f"CAST(substr({column} || '00000', 21, 6) AS INTEGER)"
        fraction = f"CASE WHEN substr({column}, 20, 1) = '.' THEN {digits} ELSE 0 END"
        return f"({epoch_sql(column)} * 1000000 + {fraction})"
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000000) AS BIGINT)"


def _touch_sql() -> str:
    """Every touch of every closed deal's widened span: interactions, then first introductions."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        materialized = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
        lo = f"date(o.created_on, '-{LOOKBACK.days + MARGIN_DAYS} days')"
        hi = f"date(o.closed_on, '+{1 + MARGIN_DAYS} days')"
    else:
        materialized = "MATERIALIZED "
        lo = f"(o.created_on - {LOOKBACK.days + MARGIN_DAYS})"
        hi = f"(o.closed_on + {1 + MARGIN_DAYS})"
    # CROSS JOIN keeps SQLite's join order: deals, then their accounts' contacts, then those contacts' interactions
    return f"""WITH spans AS {materialized}(
    SELECT o.id AS deal, o.account_id AS account, {lo} AS lo, {hi} AS hi
    FROM crm_opportunity o
    WHERE o.stage IN ('won', 'lost') AND o.closed_on >= %s AND o.closed_on <= %s AND o.created_on < %s
        AND o.account_id IS NOT NULL
)
SELECT s.deal, {_microseconds_sql("i.occurred_at")}, i.kind
FROM spans s CROSS JOIN crm_contact c CROSS JOIN crm_interaction i
WHERE c.account_id = s.account AND i.contact_id = c.id AND i.occurred_at >= s.lo AND i.occurred_at < s.hi
UNION ALL
SELECT s.deal, {_microseconds_sql("f.at")}, {INTRODUCTION_CODE}
FROM spans s JOIN (
    SELECT r.target_account_id AS account, MIN(tr.at) AS at
    FROM referrals_referraltransition tr JOIN referrals_referral r ON r.id = tr.referral_id
    WHERE tr.to_stage = 'introduced' AND tr.at < %s
    GROUP BY tr.referral_id, r.target_account_id
) f ON f.account = s.account
WHERE f.at >= s.lo AND f.at < s.hi"""


def read_touches(scope: Scope) -> NDArray[np.int64]:
    """The query's rows as an ``(n, 3)`` array: deal id, microseconds, channel code."""
    from django.db import connection

    period = scope.window_period
    ops = connection.ops
    params = [
        ops.adapt_datefield_value(period.start),
        ops.adapt_datefield_value(period.end),
        ops.adapt_datefield_value(scope.end_day),
        ops.adapt_datetimefield_value(scope.as_of),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_touch_sql(), params)
        rows = cursor.fetchall()
    return np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=3 * len(rows)).reshape(-1, 3)


def _channel_name(code: int) -> str:
    return INTRODUCTION if code == INTRODUCTION_CODE else CHANNELS.get(code, f"interaction {code}")


def _no_columns() -> JourneyColumns:
    empty = np.zeros(0, dtype=np.int64)
    return JourneyColumns((), empty, empty, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros(0))


def deal_touches(records: Records) -> DealTouches:
    """The journey of every deal won or lost in the window, as columns (see the module docstring)."""
    scope = records.scope
    deals = closed_in_window(records)
    if not deals:
        return DealTouches((), _no_columns(), 0)
    lo, hi = [], []
    as_of = scope.as_of
    for d in deals:
        assert d.closed_on is not None  # closed in the window
        lo.append(_microseconds(_day_start(d.created_on - LOOKBACK, scope.zone)))
        hi.append(_microseconds(min(_day_start(d.closed_on + timedelta(days=1), scope.zone), as_of)))
    rows = read_touches(scope)
    ids = np.asarray([d.id for d in deals], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    found = np.minimum(np.searchsorted(ids, rows[:, 0], sorter=order), len(ids) - 1)
    position = order[found]
    at, code = rows[:, 1], rows[:, 2]
    keep = (ids[position] == rows[:, 0]) & (at >= np.asarray(lo)[position]) & (at < np.asarray(hi)[position])
    position, at, code = position[keep], at[keep], code[keep]

    codes = np.unique(code)
    names = tuple(_channel_name(int(c)) for c in codes)
    rank_of = np.argsort(np.argsort(np.asarray(names, dtype=object), kind="stable"), kind="stable")
    channel = np.searchsorted(codes, code)
    # deals in the records' order, then each deal's touches by time and channel name, as the bisect did
    ordered = np.lexsort((rank_of[channel], at, position))
    position, at, channel = position[ordered], at[ordered], channel[ordered]
    repeat = np.zeros(len(position), dtype=bool)
    repeat[1:] = (position[1:] == position[:-1]) & (at[1:] == at[:-1]) & (channel[1:] == channel[:-1])
    position, at, channel = position[~repeat], at[~repeat], channel[~repeat]

    counts = np.bincount(position, minlength=len(deals))
    touched = [d for d, n in zip(deals, counts.tolist(), strict=True) if n]
    starts = np.concatenate(([0], np.cumsum(counts[counts > 0]))).astype(np.int64)
    values = [d.amount if d.amount is not None else 0.0 for d in touched]
    columns = JourneyColumns(
        names,
        channel.astype(np.int64),
        at,
        starts,
        np.asarray([d.outcome == "won" for d in touched], dtype=bool),
        np.asarray(values, dtype=np.float64),
    )
    for j, value in enumerate(values):
        if not (math.isfinite(value) and value >= 0):
            columns.journey(j)  # raises the journey's own error
    return DealTouches(tuple(touched), columns, len(deals) - len(touched))


def build_journeys(records: Records) -> Journeys:
    """The journey of every deal won or lost in the window, one ``Journey`` each (see the module docstring)."""
    found = deal_touches(records)
    built = tuple(DealJourney(deal, found.columns.journey(j)) for j, deal in enumerate(found.deals))
    return Journeys(built, found.without_touches)
