"""Evidence labels: every reported figure says what kind of number it is.

- ``measured``: computed from our own records, with the sample size ``n``, the period it covers, the moment
  the records were read (``as_of``) and, where one exists, an uncertainty interval. Below a minimum sample size a
  measured figure has no value at all: it reads "insufficient data" (``Insufficient``).
- ``scenario``: the output of stated assumptions (a planner's "if 30% of asks are accepted…"); the assumptions
  travel with the number.
- ``example``: an illustration (documentation, a demo); never to be read as a result.

``as_dict`` gives the JSON a review stores in ``Review.figures``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from referly.errors import InvalidInput
from referly.reports.stats import Interval, conversion_rate

MINIMUM_SAMPLE = 10
"""Default minimum n for a measured figure. At n = 10 a 50% rate's Wilson interval already spans 0.24–0.76."""

INSUFFICIENT = "insufficient data"


class Label(StrEnum):
    MEASURED = "measured"
    SCENARIO = "scenario"
    EXAMPLE = "example"


@dataclass(frozen=True)
class Period:
    """The calendar days a measured figure covers, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("a period cannot end before it starts", detail=f"{self.start} to {self.end}")

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _interval_dict(interval: Interval | None) -> dict[str, object] | None:
    if interval is None:
        return None
    return {"low": interval.low, "high": interval.high, "level": interval.level, "method": interval.method}


@dataclass(frozen=True)
class Measured:
    """A figure computed from our records over ``period``, read at ``as_of``, from ``n`` observations."""

    label: ClassVar[Label] = Label.MEASURED
    value: float
    n: int
    period: Period
    as_of: datetime
    interval: Interval | None = None
    unit: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "label": str(self.label),
            "value": self.value,
            "unit": self.unit,
            "n": self.n,
            "period": self.period.as_dict(),
            "as_of": self.as_of.isoformat(),
            "interval": _interval_dict(self.interval),
        }


@dataclass(frozen=True)
class Insufficient:
    """A measured figure withheld because ``n`` is below ``minimum``: it reads "insufficient data"."""

    label: ClassVar[Label] = Label.MEASURED
    n: int
    minimum: int
    period: Period
    as_of: datetime
    unit: str = ""

    def __str__(self) -> str:
        return f"{INSUFFICIENT} (n = {self.n}, needs {self.minimum})"

    def as_dict(self) -> dict[str, object]:
        return {
            "label": str(self.label),
            "value": None,
            "status": INSUFFICIENT,
            "unit": self.unit,
            "n": self.n,
            "minimum": self.minimum,
            "period": self.period.as_dict(),
            "as_of": self.as_of.isoformat(),
        }


@dataclass(frozen=True)
class Scenario:
    """A figure that follows from stated assumptions, not from records."""

    label: ClassVar[Label] = Label.SCENARIO
    value: float
    assumptions: tuple[str, ...]
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.assumptions:
            raise InvalidInput("a scenario figure must state its assumptions")

    def as_dict(self) -> dict[str, object]:
        return {"label": str(self.label), "value": self.value, "unit": self.unit, "assumptions": list(self.assumptions)}


@dataclass(frozen=True)
class Example:
    """An illustrative figure, for documentation and demos."""

    label: ClassVar[Label] = Label.EXAMPLE
    value: float
    note: str
    unit: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"label": str(self.label), "value": self.value, "unit": self.unit, "note": self.note}


Figure = Measured | Insufficient | Scenario | Example


def _check_minimum(minimum: int) -> None:
    if minimum < 1:
        raise InvalidInput("the minimum sample size must be at least 1", detail=f"got {minimum}")


def measure(
    value: float,
    *,
    n: int,
    period: Period,
    as_of: datetime,
    interval: Interval | None = None,
    minimum: int = MINIMUM_SAMPLE,
    unit: str = "",
) -> Measured | Insufficient:
    """A measured figure, or ``Insufficient`` when ``n < minimum`` (the value is then dropped, not shown)."""
    _check_minimum(minimum)
    if not math.isfinite(value):
        raise InvalidInput("a measured figure must be a finite number", detail=f"got {value}")
    if n < minimum:
        return Insufficient(n, minimum, period, as_of, unit)
    return Measured(value, n, period, as_of, interval, unit)


def measured_rate(
    successes: int, n: int, *, period: Period, as_of: datetime, minimum: int = MINIMUM_SAMPLE
) -> Measured | Insufficient:
    """``successes / n`` with its Wilson interval, or "insufficient data" when ``n`` is below ``minimum`` (0 included).

    For a win rate pass ``n = won + lost``: open deals are not decided yet.
    """
    _check_minimum(minimum)
    if n < minimum:
        return Insufficient(n, minimum, period, as_of)
    rate = conversion_rate(successes, n)
    return Measured(rate.value, n, period, as_of, rate.interval)
