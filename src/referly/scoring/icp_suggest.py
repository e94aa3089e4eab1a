"""The ICP our own deals suggest: which account values win more often than the rest, and by how much.

Pure statistics over decided new-business deals (won or lost; open deals are counted but decide nothing):

- Per value of each account column (industry, country, size band, revenue band, each custom attribute): the
  deals ``n``, the win rate ``won / n`` with its 95% Wilson score interval (Wilson 1927), and the lift, the
  value's win rate over the overall win rate. The lift's 95% interval is the Wilson interval divided by the
  overall rate: the overall rate is taken as known, being measured on every decided deal (it understates the
  uncertainty a little when one value holds most of the deals).
- A value *clears* when it has at least ``min_value_deals`` deals and its lift interval lies above 1: its
  win rate beats the overall one at 95% confidence.
- A column's proposed criterion holds its clearing values (``any_of``), or, for banded numbers, the run of
  neighbouring clearing bands around the best one (``between``). Its strength is the log of the win-rate
  ratio between deals that meet it and deals that do not (known values only, 0.5 added to each count so
  that an empty cell stays finite); the weights are the strengths normalised to 100 in whole points
  (largest remainders).
- Below ``min_deals`` decided deals overall there is no proposal: "insufficient data", the ICP in force stays.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from referly.kit.stats import wilson_bounds

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
MIN_DEALS = 30
MIN_VALUE_DEALS = 10
MAX_VALUES = 30  # a text column with more distinct values than this is an identifier, not a segment
UNKNOWN = "(unknown)"

# (label, low, high) inclusive: the size bands, in employees, and the revenue bands, in the account's currency.
SIZE_BANDS = (
    ("1-9", 0, 9),
    ("10-49", 10, 49),
    ("50-199", 50, 199),
    ("200-999", 200, 999),
    ("1,000-4,999", 1_000, 4_999),
    ("5,000+", 5_000, 10_000_000),
)
REVENUE_BANDS = (
    ("under 1M", 0, 1_000_000),
    ("1M-10M", 1_000_000, 10_000_000),
    ("10M-50M", 10_000_000, 50_000_000),
    ("50M-250M", 50_000_000, 250_000_000),
    ("250M-1B", 250_000_000, 1_000_000_000),
    ("1B+", 1_000_000_000, 10**15),
)
Band = tuple[str, float, float]
# The account columns a deal is read by, each with the criterion name it gets and its bands when it is a number.
COLUMNS: tuple[tuple[str, str, tuple[Band, ...]], ...] = (
    ("industry", "industry", ()),
    ("employees", "size", SIZE_BANDS),
    ("annual_revenue", "revenue", REVENUE_BANDS),
    ("country", "country", ()),
)


@dataclass(frozen=True)
class Deal:
    """One decided or open new-business deal: ``won`` is None while it is open; ``account`` maps each
    column (``industry``, ``custom.segment`` ...) to the account's value."""

    won: bool | None
    account: Mapping[str, Any]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class ValueFit:
    """One value of one column: its deals, win rate and lift, each with its 95% interval."""

    value: str
    n: int
    won: int
    rate: float
    rate_interval: Interval
    lift: float | None  # None when the overall win rate is 0
    lift_interval: Interval | None
    enough: bool  # at least the minimum number of deals
    clears: bool  # enough, known, and its lift interval lies above 1
    low: float | None = None  # a band's bounds
    high: float | None = None


@dataclass(frozen=True)
class ProposedCriterion:
    name: str
    field: str
    weight: int
    any_of: tuple[str, ...] = ()
    between: tuple[float, float] | None = None
    met: int = 0  # decided deals that meet it, and those that do not (value known)
    met_won: int = 0
    missed: int = 0
    missed_won: int = 0
    strength: float = 0.0  # log of the win-rate ratio, met over missed

    def as_table(self) -> dict[str, Any]:
        """The criterion as defaults.toml writes one in [[icp.criteria]]."""
        found: dict[str, Any] = {"name": self.name, "field": self.field, "weight": self.weight}
        if self.any_of:
            found["any_of"] = list(self.any_of)
        if self.between is not None:
            found["between"] = [_whole(self.between[0]), _whole(self.between[1])]
        return found


@dataclass(frozen=True)
class ColumnFit:
    field: str
    name: str
    values: tuple[ValueFit, ...]
    note: str = ""  # why the column was not read


@dataclass(frozen=True)
class Suggestion:
    decided: int
    won: int
    open: int
    rate: float | None
    rate_interval: Interval | None
    min_deals: int
    min_value_deals: int
    columns: tuple[ColumnFit, ...]
    criteria: tuple[ProposedCriterion, ...] = field(default=())

    @property
    def sufficient(self) -> bool:
        return self.decided >= self.min_deals


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval of ``successes / n`` (n > 0), as the reports compute it."""
    return Interval(*wilson_bounds(successes, n, z))


def suggest_icp(
    deals: Sequence[Deal], *, min_deals: int = MIN_DEALS, min_value_deals: int = MIN_VALUE_DEALS
) -> Suggestion:
    """Compare won with lost deals by every account column, and propose weighted criteria (see the module)."""
    decided = [d for d in deals if d.won is not None]
    won = sum(1 for d in decided if d.won)
    open_deals = len(deals) - len(decided)
    if not decided:
        return Suggestion(0, 0, open_deals, None, None, min_deals, min_value_deals, ())
    rate = won / len(decided)
    columns = tuple(
        _column(decided, column, name, bands, rate, min_value_deals) for column, name, bands in _columns(decided)
    )
    suggestion = Suggestion(
        len(decided), won, open_deals, rate, wilson(won, len(decided)), min_deals, min_value_deals, columns
    )
    if not suggestion.sufficient or won == 0:
        return suggestion
    proposed = [c for c in (_criterion(decided, column) for column in columns) if c is not None]
    return Suggestion(
        suggestion.decided,
        won,
        open_deals,
        rate,
        suggestion.rate_interval,
        min_deals,
        min_value_deals,
        columns,
        _weighted(proposed),
    )


def _columns(decided: Sequence[Deal]) -> list[tuple[str, str, tuple[Band, ...]]]:
    """The fixed columns, then each custom attribute (``custom.KEY``) in name order, banded in quartiles
    when every known value is a number."""
    found = list(COLUMNS)
    custom = sorted({k for d in decided for k in d.account if k.startswith("custom.")})
    for key in custom:
        values = [d.account.get(key) for d in decided]
        known = [v for v in values if _known(v)]
        numbers = [_as_number(v) for v in known]
        if known and all(n is not None for n in numbers):
            found.append((key, key.removeprefix("custom."), _quartiles(sorted(n for n in numbers if n is not None))))
        else:
            found.append((key, key.removeprefix("custom."), ()))
    return found


def _column(
    decided: Sequence[Deal], column: str, name: str, bands: tuple[Band, ...], rate: float, min_n: int
) -> ColumnFit:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in decided:
        value = _value_of(d.account.get(column), bands)
        counts[value][0] += 1
        counts[value][1] += int(bool(d.won))
    known = [v for v in counts if v != UNKNOWN]
    if not bands and len(known) > MAX_VALUES:
        return ColumnFit(column, name, (), f"{len(known)} distinct values: not a segment")
    order = [b[0] for b in bands] if bands else sorted(known, key=lambda v: (-counts[v][0], v))
    bounds = {b[0]: (b[1], b[2]) for b in bands}
    fits = []
    for value in [*[v for v in order if v in counts], *([UNKNOWN] if UNKNOWN in counts else [])]:
        n, w = counts[value]
        interval = wilson(w, n)
        lift = (w / n) / rate if rate > 0 else None
        lift_interval = Interval(interval.low / rate, interval.high / rate) if rate > 0 else None
        enough = n >= min_n
        clears = enough and value != UNKNOWN and lift_interval is not None and lift_interval.low > 1
        low, high = bounds.get(value, (None, None))
        fits.append(ValueFit(value, n, w, w / n, interval, lift, lift_interval, enough, clears, low, high))
    return ColumnFit(column, name, tuple(fits))


def _criterion(decided: Sequence[Deal], column: ColumnFit) -> ProposedCriterion | None:
    clearing = [v for v in column.values if v.clears]
    if not clearing:
        return None
    banded = column.values[0].low is not None
    if banded:
        ordered = [v for v in column.values if v.value != UNKNOWN]
        best = max(range(len(ordered)), key=lambda i: (ordered[i].lift_interval or Interval(0, 0)).low)
        first = last = best
        while first > 0 and ordered[first - 1].clears:
            first -= 1
        while last + 1 < len(ordered) and ordered[last + 1].clears:
            last += 1
        chosen = {v.value for v in ordered[first : last + 1]}
        low, high = ordered[first].low, ordered[last].high
        between: tuple[float, float] | None = (float(low or 0), float(high or 0))
        any_of: tuple[str, ...] = ()
    else:
        chosen = {v.value for v in clearing}
        between, any_of = None, tuple(sorted(chosen))
    met = [v for v in column.values if v.value in chosen]
    missed = [v for v in column.values if v.value not in chosen and v.value != UNKNOWN]
    met_n, met_won = sum(v.n for v in met), sum(v.won for v in met)
    missed_n, missed_won = sum(v.n for v in missed), sum(v.won for v in missed)
    strength = math.log(((met_won + 0.5) / (met_n + 0.5)) / ((missed_won + 0.5) / (missed_n + 0.5)))
    if strength <= 0:
        return None
    return ProposedCriterion(
        column.name, column.field, 0, any_of, between, met_n, met_won, missed_n, missed_won, strength
    )


def _weighted(proposed: list[ProposedCriterion]) -> tuple[ProposedCriterion, ...]:
    """The criteria with whole weights summing to 100, in proportion to their strength, strongest first."""
    if not proposed:
        return ()
    total = sum(c.strength for c in proposed)
    shares = [100 * c.strength / total for c in proposed]
    weights = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(proposed)), key=lambda i: (-(shares[i] - weights[i]), proposed[i].field))
    for i in by_remainder[: 100 - sum(weights)]:
        weights[i] += 1
    chosen = [_with_weight(c, w) for c, w in zip(proposed, weights, strict=True) if w > 0]
    if len(chosen) < len(proposed):  # a criterion rounded to nothing: share again among the rest
        return _weighted([c for c in proposed if any(k.field == c.field for k in chosen)])
    return tuple(sorted(chosen, key=lambda c: (-c.weight, -c.strength, c.field)))


def _with_weight(c: ProposedCriterion, weight: int) -> ProposedCriterion:
    return ProposedCriterion(
        c.name, c.field, weight, c.any_of, c.between, c.met, c.met_won, c.missed, c.missed_won, c.strength
    )


def _value_of(value: Any, bands: tuple[Band, ...]) -> str:
    if not _known(value):
        return UNKNOWN
    if not bands:
        return str(value).strip()
    number = _as_number(value)
    if number is None:
        return UNKNOWN
    for label, low, high in bands:
        if low <= number <= high:
            return label
    return bands[0][0] if number < bands[0][1] else bands[-1][0]


def _quartiles(numbers: list[float]) -> tuple[Band, ...]:
    """Up to four bands cut at the quartiles of ``numbers`` (sorted); a value on a cut falls in the lower band."""
    cuts = sorted({numbers[min(len(numbers) - 1, (len(numbers) * q) // 4)] for q in (1, 2, 3)} - {numbers[0]})
    edges = [numbers[0], *cuts]
    if edges[-1] != numbers[-1]:
        edges.append(numbers[-1])
    if len(edges) == 1:
        return ((f"{_whole(edges[0]):g}", edges[0], edges[0]),)
    return tuple((f"{_whole(lo):g}-{_whole(hi):g}", lo, hi) for lo, hi in itertools.pairwise(edges))


def _known(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: float) -> float:
    return int(value) if float(value).is_integer() else value
