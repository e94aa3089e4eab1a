"""The shape of a metric's answer: a small table of evidence-labelled figures.

A metric answers with a ``Table``: named columns, and rows of cells. Every cell is an evidence-labelled figure
from ``referly.reports.evidence`` (``Measured`` or ``Insufficient``), or a ``SurvivalMedian``, the measured median
time to an outcome, which may be "not reached". A metric with a single answer has one row whose key is None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from referly.reports.evidence import INSUFFICIENT, Insufficient, Label, Measured, Period, measure
from referly.reports.stats import Interval, MedianSurvival

if TYPE_CHECKING:
    from referly.reports.queries import Records

NOT_REACHED = "not reached"


@dataclass(frozen=True)
class SurvivalMedian:
    """A measured Kaplan–Meier median time to an outcome, with its Brookmeyer–Crowley interval.

    ``median`` (or either end of the interval) is None when the survival curve never fell to one half within the
    data: more than half the subjects were still waiting at the as-of moment. That is a finding ("not reached"),
    not missing data.
    """

    label: ClassVar[Label] = Label.MEASURED
    median: float | None
    low: float | None
    high: float | None
    level: float
    n: int
    events: int
    period: Period
    as_of: datetime
    unit: str = "days"

    def as_dict(self) -> dict[str, object]:
        return {
            "label": str(self.label),
            "value": self.median,
            "status": None if self.median is not None else NOT_REACHED,
            "unit": self.unit,
            "n": self.n,
            "events": self.events,
            "period": self.period.as_dict(),
            "as_of": self.as_of.isoformat(),
            "interval": {
                "low": self.low,
                "high": self.high,
                "level": self.level,
                "method": "Kaplan-Meier, Brookmeyer-Crowley (log-log)",
            },
        }


Cell = Measured | Insufficient | SurvivalMedian


def count(value: int, period: Period, as_of: datetime, unit: str = "count") -> Measured:
    """An exact count: always shown (there is no sampling to be unsure about), with ``n`` the count itself."""
    return Measured(float(value), value, period, as_of, None, unit)


def total(value: float, n: int, period: Period, as_of: datetime, unit: str = "amount") -> Measured:
    """An exact sum over ``n`` records (an amount won, a pipeline): always shown."""
    return Measured(float(value), n, period, as_of, None, unit)


def estimate(
    value: float, n: int, period: Period, as_of: datetime, minimum: int, interval: Interval | None, unit: str
) -> Measured | Insufficient:
    """A sample estimate (a mean, a share, an NPS): "insufficient data" below ``minimum``."""
    return measure(value, n=n, period=period, as_of=as_of, interval=interval, minimum=minimum, unit=unit)


def survival_median(
    found: MedianSurvival | None, n: int, events: int, period: Period, as_of: datetime, minimum: int
) -> SurvivalMedian | Insufficient:
    if found is None or n < minimum:
        return Insufficient(n, minimum, period, as_of, "days")
    return SurvivalMedian(found.median, found.low, found.high, found.level, n, events, period, as_of)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str


@dataclass(frozen=True)
class Row:
    key: str | None
    cells: Mapping[str, Cell]
    note: str = ""


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    period: Period
    note: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)
    """Plain data for charts and lists (e.g. the friction point's name); never a figure."""


Window = Literal["month", "window", "as of"]
Compute = Callable[["Records", int], Table]


@dataclass(frozen=True)
class Metric:
    """One declared metric: what it is called, what it means, how it is computed and its minimum sample.

    ``minimum`` applies to the metric's estimates (rates, means, medians, shares); 0 means the metric holds
    exact counts and sums only, which are always shown. ``window`` says which period it covers: the reviewed
    ``month``, the trailing ``window`` or the state ``as of`` the end of the month.
    """

    slug: str
    label: str
    section: str
    unit: str
    minimum: int
    window: Window
    meaning: str
    compute: Compute

    def run(self, records: Records) -> dict[str, object]:
        """The metric's JSON: its declaration, the period, the as-of moment and every labelled figure."""
        table = self.compute(records, self.minimum)
        return {
            "slug": self.slug,
            "label": self.label,
            "section": self.section,
            "unit": self.unit,
            "minimum": self.minimum,
            "window": self.window,
            "meaning": self.meaning,
            "period": table.period.as_dict(),
            "as_of": records.scope.as_of.isoformat(),
            "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in table.columns],
            "rows": [
                {"key": row.key, "note": row.note, "cells": {k: cell.as_dict() for k, cell in row.cells.items()}}
                for row in table.rows
            ],
            "note": table.note,
            "extra": dict(table.extra),
        }


def is_insufficient(cell: Mapping[str, object]) -> bool:
    return cell.get("status") == INSUFFICIENT
