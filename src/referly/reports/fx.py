"""Exchange rates: reading rate files, and converting an amount into the report's base currency.

Every rate is the number of units of a currency for 1 euro, the convention of the European Central Bank's
reference rates (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/).
Three file shapes are read:

- the ECB's daily file ``eurofxref.csv``: a header ``Date, USD, JPY, ...`` and one row dated like
  ``21 November 2025``, cells separated by a comma and a space, and a trailing comma on every line;
- the ECB's historical file ``eurofxref-hist.csv``: the same header, one row per working day dated
  ``2025-11-21``, ``N/A`` where a currency had no rate that day, a trailing comma on every line;
- a plain ``date,currency,rate`` file (ISO dates, ISO 4217 codes, units of the currency per 1 EUR).

An amount in currency ``C`` on day ``d`` converts to base ``B`` through the euro:
``amount / rate(C, d) * rate(B, d)`` (the euro's own rate is 1). The ECB publishes on working days only, so
the rate of a day is the one published that day or, failing that, the latest one up to ``LOOKBACK_DAYS`` before.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from referly.errors import InvalidInput

EURO = "EUR"
LOOKBACK_DAYS = 7
"""How far back a missing day's rate is looked for: a long weekend with a holiday is at most 4 days."""
DECIMAL_PLACES = 8
MAX_RATE = Decimal("1e11")
MISSING = "N/A"
SHOWN_PROBLEMS = 10
CURRENCY = re.compile(r"[A-Z]{3}")
PLAIN_HEADER = ("date", "currency", "rate")


@dataclass(frozen=True)
class Rate:
    """Units of ``currency`` for 1 euro on ``day``."""

    day: date
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class Problem:
    """Why one cell of a rates file cannot be read: its line, the field and the reason."""

    row: int
    field: str
    reason: str

    def sentence(self, source: str) -> str:
        return f"{source}, line {self.row}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class Gap:
    """A currency without a rate on some of the file's dates, as runs of consecutive file dates."""

    currency: str
    days: int
    runs: tuple[tuple[date, date], ...]

    def sentence(self) -> str:
        shown = ", ".join(str(a) if a == b else f"{a} to {b}" for a, b in self.runs[:3])
        more = f" and {len(self.runs) - 3} more stretches" if len(self.runs) > 3 else ""
        return f"{self.currency}: no rate on {self.days:,} of the file's dates ({shown}{more})"


@dataclass(frozen=True)
class RatesFile:
    """A rates file read whole: its shape, its rates and the gaps it has."""

    shape: str
    """``ecb-daily``, ``ecb-history`` or ``plain``."""
    rates: tuple[Rate, ...]
    gaps: tuple[Gap, ...] = ()

    @property
    def dates(self) -> list[date]:
        return sorted({r.day for r in self.rates})

    @property
    def currencies(self) -> list[str]:
        return sorted({r.currency for r in self.rates})


def _decimal(text: str) -> Decimal | str:
    """The rate in ``text``, or the reason it is not one."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{text!r} is not a number"
    if not value.is_finite() or value <= 0:
        return f"{text!r} is not a positive rate"
    if value >= MAX_RATE:
        return f"{text!r} is too large for a rate"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMAL_PLACES:
        return f"{text!r} has more than {DECIMAL_PLACES} decimal places"
    return value


def _day(text: str, formats: Sequence[str]) -> date | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _cells(line: Sequence[str]) -> list[str]:
    """The cells of a line, trimmed, without the empty one the ECB's trailing comma leaves."""
    cells = [c.strip() for c in line]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _refuse(source: str, problems: Sequence[Problem]) -> InvalidInput:
    shown = "; ".join(p.sentence(source) for p in problems[:SHOWN_PROBLEMS])
    more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
    first = problems[0]
    return InvalidInput(
        f"{source} cannot be imported: {len(problems)} problem(s), nothing was written",
        detail=shown + more,
        field=first.field,
        code="bad_rates_file",
    )


def _ecb(lines: list[list[str]], source: str) -> RatesFile:
    header = _cells(lines[0])
    problems: list[Problem] = []
    currencies = header[1:]
    for i, code in enumerate(currencies):
        if not CURRENCY.fullmatch(code):
            problems.append(Problem(1, f"column {i + 2}", f"{code!r} is not a three-letter currency code"))
    found: list[Rate] = []
    absent: dict[str, list[date]] = defaultdict(list)
    seen: set[date] = set()
    shapes: set[str] = set()
    for number, line in enumerate(lines[1:], start=2):
        cells = _cells(line)
        if not cells:
            continue
        day = _day(cells[0], ("%Y-%m-%d",))
        if day is None:
            day = _day(cells[0], ("%d %B %Y",))
            written_out = day is not None
        else:
            written_out = False
        shapes.add("ecb-daily" if written_out else "ecb-history")
        if day is None:
            problems.append(Problem(number, "Date", f"{cells[0]!r} is not a date (2025-11-21 or 21 November 2025)"))
            continue
        if day in seen:
            problems.append(Problem(number, "Date", f"{day} appears twice"))
            continue
        seen.add(day)
        if len(cells) - 1 > len(currencies):
            problems.append(Problem(number, "Date", f"{len(cells) - 1} rates for {len(currencies)} currencies"))
            continue
        for code, text in zip(currencies, cells[1:] + [""] * (len(currencies) - len(cells) + 1), strict=True):
            if text in (MISSING, ""):
                absent[code].append(day)
                continue
            value = _decimal(text)
            if isinstance(value, str):
                problems.append(Problem(number, code, value))
            else:
                found.append(Rate(day, code, value))
    if problems:
        raise _refuse(source, problems)
    shape = "ecb-daily" if shapes == {"ecb-daily"} else "ecb-history"
    return RatesFile(shape, tuple(found), gaps(sorted(seen), absent))


def _plain(lines: list[list[str]], source: str) -> RatesFile:
    problems: list[Problem] = []
    found: dict[tuple[date, str], Decimal] = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = _cells(line)
        if not cells:
            continue
        if len(cells) != 3:
            problems.append(Problem(number, "rate", f"{len(cells)} fields where date,currency,rate are 3"))
            continue
        text_day, code, text_rate = cells
        day = _day(text_day, ("%Y-%m-%d",))
        if day is None:
            problems.append(Problem(number, "date", f"{text_day!r} is not a date written YYYY-MM-DD"))
        code = code.upper()
        if not CURRENCY.fullmatch(code):
            problems.append(Problem(number, "currency", f"{cells[1]!r} is not a three-letter currency code"))
        value = _decimal(text_rate)
        if isinstance(value, str):
            problems.append(Problem(number, "rate", value))
        if day is None or isinstance(value, str) or not CURRENCY.fullmatch(code):
            continue
        if code == EURO and value != 1:
            problems.append(Problem(number, "rate", "the euro's rate is 1 by definition"))
            continue
        before = found.get((day, code))
        if before is not None and before != value:
            problems.append(Problem(number, "rate", f"{code} on {day} is also given as {before}"))
            continue
        found[(day, code)] = value
    if problems:
        raise _refuse(source, problems)
    rates = tuple(Rate(d, c, v) for (d, c), v in sorted(found.items()))
    days = sorted({d for d, _ in found})
    absent: dict[str, list[date]] = defaultdict(list)
    for code in sorted({c for _, c in found}):
        absent[code] = [d for d in days if (d, code) not in found]
    return RatesFile("plain", rates, gaps(days, absent))


def gaps(days: Sequence[date], absent: Mapping[str, Sequence[date]]) -> tuple[Gap, ...]:
    """Each currency's missing file dates, as runs of consecutive dates of the file (not of the calendar)."""
    position = {d: i for i, d in enumerate(days)}
    found = []
    for code in sorted(absent):
        missing = sorted(absent[code])
        if not missing:
            continue
        runs: list[tuple[date, date]] = []
        for day in missing:
            if runs and position[day] == position[runs[-1][1]] + 1:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        found.append(Gap(code, len(missing), tuple(runs)))
    return tuple(found)


def read_rates(text: str, source: str) -> RatesFile:
    """A rates file read whole, or ``InvalidInput`` naming the file, line, field and reason of every problem."""
    lines = [line for line in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in line)]
    if not lines:
        raise InvalidInput(f"{source} is empty: no rate to import", code="bad_rates_file")
    header = tuple(c.lower() for c in _cells(lines[0]))
    if header == PLAIN_HEADER:
        found = _plain(lines, source)
    elif header and header[0] == "date":
        found = _ecb(lines, source)
    else:
        shown = ",".join(_cells(lines[0]))[:80]
        raise InvalidInput(
            f"{source} is not a rates file: its header is {shown!r}",
            detail="expected the ECB's 'Date, USD, JPY, ...' or 'date,currency,rate'",
            field="header",
            code="bad_rates_file",
        )
    if not found.rates:
        raise InvalidInput(f"{source} holds no rate", code="bad_rates_file")
    return found


# --- Conversion ----------------------------------------------------------------------------------------------


@dataclass
class RateBook:
    """Rates per currency by day, looked up on a day or the latest day up to ``lookback`` days before."""

    lookback: int = LOOKBACK_DAYS
    days: dict[str, list[date]] = field(default_factory=dict)
    values: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def of(cls, rates: Iterable[tuple[date, str, float]], lookback: int = LOOKBACK_DAYS) -> RateBook:
        by_currency: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for day, code, value in rates:
            by_currency[code].append((day, float(value)))
        book = cls(lookback)
        for code, pairs in by_currency.items():
            pairs.sort()
            book.days[code] = [d for d, _ in pairs]
            book.values[code] = [v for _, v in pairs]
        return book

    def rate(self, currency: str, day: date) -> float | None:
        """Units of ``currency`` for 1 euro on ``day`` (1 for the euro); None without a rate close enough."""
        if currency == EURO:
            return 1.0
        days = self.days.get(currency)
        if not days:
            return None
        i = bisect.bisect_right(days, day) - 1
        if i < 0 or day - days[i] > timedelta(days=self.lookback):
            return None
        return self.values[currency][i]

    def convert(self, amount: float, currency: str, day: date, base: str) -> float | None:
        """``amount`` of ``currency`` on ``day`` in ``base``, through the euro; None when a rate is missing."""
        if currency == base:
            return amount
        own, target = self.rate(currency, day), self.rate(base, day)
        if own is None or target is None:
            return None
        return amount / own * target
