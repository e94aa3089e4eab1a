"""Deals: what referral-sourced opportunities win, how big they are, how long they take, and their share.

"Referral" means ``Opportunity.source = referral``; every other source is compared with it, together and one
by one. Amounts are added as recorded (one currency is assumed; the report says when there are several).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from referly.reports.evidence import Period, measured_rate
from referly.reports.funnel import cohort
from referly.reports.queries import EXITS, OPEN_STAGES, DealRecord, Records
from referly.reports.scope import Scope
from referly.reports.stats import Interval, bootstrap_interval, kaplan_meier, median_survival
from referly.reports.tables import Cell, Column, Row, Table, count, estimate, survival_median, total
from referly.reports.volume import BOOTSTRAP_SEED

REFERRAL = "referral"
OTHERS = "all other sources"
ATTRIBUTIONS = ("sourced", "influenced", "suspected")


def by_source(deals: Sequence[DealRecord]) -> list[tuple[str, list[DealRecord]]]:
    """``referral``, ``all other sources``, then each other source, largest first."""
    others = [d for d in deals if d.source != REFERRAL]
    sources = sorted({d.source for d in others}, key=lambda s: (-sum(1 for d in others if d.source == s), s))
    return [
        (REFERRAL, [d for d in deals if d.source == REFERRAL]),
        (OTHERS, others),
        *((s, [d for d in others if d.source == s]) for s in sources),
    ]


def _closed_between(deals: Sequence[DealRecord], period: Period) -> list[DealRecord]:
    return [d for d in deals if d.closed_on is not None and period.start <= d.closed_on <= period.end]


def _amount_sum(deals: Sequence[DealRecord]) -> tuple[float, int]:
    amounts = [d.amount for d in deals if d.amount is not None]
    return float(sum(amounts)), len(amounts)


def deals_won(records: Records, minimum: int) -> Table:
    """Deals won in the reviewed month, referral against other sources."""
    scope = records.scope
    period = scope.month_period
    won = [d for d in _closed_between(records.deals, period) if d.outcome == "won"]
    groups = [(REFERRAL, [d for d in won if d.source == REFERRAL]), (OTHERS, [d for d in won if d.source != REFERRAL])]
    rows = []
    for name, members in [*groups, ("all sources", won)]:
        amount, n = _amount_sum(members)
        rows.append(
            Row(
                name, {"won": count(len(members), period, scope.as_of), "amount": total(amount, n, period, scope.as_of)}
            )
        )
    columns = (Column("won", "Deals won", "count"), Column("amount", "Amount won", "amount"))
    return Table(columns, tuple(rows), period)


def win_rate_by_source(records: Records, minimum: int) -> Table:
    """Won over decided deals (won + lost) closed in the window, with Wilson intervals; open deals are left out."""
    scope = records.scope
    period = scope.window_period
    closed = _closed_between(records.deals, period)
    rows = []
    for name, members in by_source(closed):
        won = sum(1 for d in members if d.outcome == "won")
        lost = len(members) - won
        cells: dict[str, Cell] = {
            "rate": measured_rate(won, won + lost, period=period, as_of=scope.as_of, minimum=minimum),
            "won": count(won, period, scope.as_of),
            "lost": count(lost, period, scope.as_of),
        }
        rows.append(Row(name, cells))
    columns = (Column("rate", "Win rate", "share"), Column("won", "Won", "count"), Column("lost", "Lost", "count"))
    return Table(columns, tuple(rows), period)


def _mean(sample: NDArray[np.float64]) -> float:
    return float(np.mean(sample))


def _row_means(resamples: NDArray[np.float64]) -> NDArray[np.float64]:
    found: NDArray[np.float64] = np.mean(resamples, axis=1)
    return found


def _mean_interval(sample: NDArray[np.float64], minimum: int) -> Interval | None:
    if sample.size < minimum:
        return None
    return bootstrap_interval(sample, _mean, rng=BOOTSTRAP_SEED, batched=_row_means)


def deal_size_by_source(records: Records, minimum: int) -> Table:
    """Average amount of deals won in the window, with a bootstrap interval of the mean."""
    scope = records.scope
    period = scope.window_period
    won = [d for d in _closed_between(records.deals, period) if d.outcome == "won" and d.amount is not None]
    rows = []
    for name, members in by_source(won):
        sample = np.asarray([d.amount for d in members], dtype=np.float64)
        mean = _mean(sample) if sample.size else 0.0
        cells: dict[str, Cell] = {
            "mean": estimate(
                mean, int(sample.size), period, scope.as_of, minimum, _mean_interval(sample, minimum), "amount"
            ),
            "amount": total(float(sample.sum()), int(sample.size), period, scope.as_of),
        }
        rows.append(Row(name, cells))
    columns = (Column("mean", "Average deal won", "amount"), Column("amount", "Amount won", "amount"))
    return Table(columns, tuple(rows), period)


@dataclass(frozen=True)
class Durations:
    """Days to a won deal, with ``observed`` False where the deal was still open at the as-of moment."""

    days: list[float]
    observed: list[bool]

    def cells(self, period: Period, scope: Scope, minimum: int) -> dict[str, Cell]:
        n, events = len(self.days), sum(self.observed)
        found = median_survival(kaplan_meier(self.days, self.observed)) if n else None
        return {
            "median": survival_median(found, n, events, period, scope.as_of, minimum),
            "won": count(events, period, scope.as_of),
            "open": count(n - events, period, scope.as_of),
        }


def _referral_durations(records: Records) -> Durations:
    scope = records.scope
    days: list[float] = []
    observed: list[bool] = []
    for referral in cohort(records, "requested"):
        asked = referral.entered("requested")
        won = referral.entered("won")
        assert asked is not None  # the cohort entered it
        if won is not None:
            days.append((won - asked).total_seconds() / 86400)
            observed.append(True)
        elif referral.stage in OPEN_STAGES:
            days.append((scope.as_of - asked).total_seconds() / 86400)
            observed.append(False)
        # a referral that ended (declined, lost…) will never be won: it is not waiting for the event
        elif referral.stage not in EXITS:  # pragma: no cover - every stage is open, an exit or won
            raise AssertionError(referral.stage)
    return Durations(days, observed)


def _deal_durations(deals: Sequence[DealRecord], end_day: date) -> Durations:
    days: list[float] = []
    observed: list[bool] = []
    for d in deals:
        if d.outcome == "won" and d.closed_on is not None:
            days.append(float((d.closed_on - d.created_on).days))
            observed.append(True)
        elif d.is_open:
            days.append(float((end_day - d.created_on).days))
            observed.append(False)
    return Durations(days, observed)


def cycle_time(records: Records, minimum: int) -> Table:
    """Median days to a won deal (Kaplan–Meier; open deals censored, lost deals left out), by path."""
    scope = records.scope
    period = scope.window_period
    created = [d for d in records.deals if period.start <= d.created_on <= period.end]
    paths = [
        ("Referral: request → won", _referral_durations(records)),
        ("Referral deals: created → won", _deal_durations([d for d in created if d.source == REFERRAL], scope.end_day)),
        ("Other sources: created → won", _deal_durations([d for d in created if d.source != REFERRAL], scope.end_day)),
    ]
    rows = tuple(Row(name, durations.cells(period, scope, minimum)) for name, durations in paths)
    columns = (
        Column("median", "Median days to won", "days"),
        Column("won", "Won", "count"),
        Column("open", "Still open", "count"),
    )
    return Table(columns, rows, period)


@dataclass(frozen=True)
class Share:
    """Share of new pipeline (amounts of opportunities created) from referrals over some days."""

    referral: float
    total: float
    n: int
    interval: Interval | None

    @property
    def value(self) -> float:
        return self.referral / self.total if self.total > 0 else 0.0


def referral_ratios(
    amounts: NDArray[np.float64], referral: NDArray[np.bool_], picked: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each resample's referral amount over its whole amount (0 when the whole is 0), one resample a row.

    Each row's referral amounts are summed as a plain array of their own (rows with as many referral deals
    are summed together), so every ratio is the one a single resample gives, to the last bit.
    """
    values = amounts[picked]
    whole = values.sum(axis=1)
    chosen = referral[picked]
    counts = chosen.sum(axis=1)
    part = np.zeros(len(picked))
    for size in np.unique(counts):
        rows = np.flatnonzero(counts == size)
        if size:
            part[rows] = values[rows][chosen[rows]].reshape(len(rows), int(size)).sum(axis=1)
    found = np.zeros(len(picked))
    np.divide(part, whole, out=found, where=whole > 0)
    return found


def pipeline_share(deals: Sequence[DealRecord], period: Period, minimum: int, *, interval: bool = True) -> Share:
    """Referral amount over all amount created in ``period``, with a bootstrap interval over deals (if asked)."""
    created = [d for d in deals if d.amount is not None and period.start <= d.created_on <= period.end]
    amounts = np.asarray([d.amount for d in created], dtype=np.float64)
    referral = np.asarray([d.source == REFERRAL for d in created], dtype=bool)
    found = None
    if interval and len(created) >= minimum and amounts.sum() > 0:

        def ratio(indices: NDArray[np.float64]) -> float:
            picked = indices.astype(np.int64)
            whole = float(amounts[picked].sum())
            return float(amounts[picked][referral[picked]].sum()) / whole if whole > 0 else 0.0

        def ratios(indices: NDArray[np.float64]) -> NDArray[np.float64]:
            return referral_ratios(amounts, referral, indices.astype(np.int64))

        found = bootstrap_interval(np.arange(len(created), dtype=np.float64), ratio, rng=BOOTSTRAP_SEED, batched=ratios)
    return Share(float(amounts[referral].sum()), float(amounts.sum()), len(created), found)


def referral_share(records: Records, minimum: int) -> Table:
    """Share of new pipeline sourced by referrals: the reviewed month and the window.

    The trend (for the chart) is the trailing-window share at the end of each month of the window, so that each
    point is comparable with the goal and with the window's figure.
    """
    scope = records.scope
    rows = []
    for name, period in (("Reviewed month", scope.month_period), ("Trailing window", scope.window_period)):
        share = pipeline_share(records.deals, period, minimum)
        cells: dict[str, Cell] = {
            "share": estimate(share.value, share.n, period, scope.as_of, minimum, share.interval, "share"),
            "referral": total(share.referral, share.n, period, scope.as_of),
            "all": total(share.total, share.n, period, scope.as_of),
        }
        rows.append(Row(name, cells))
    trend = []
    for month in scope.months:
        trailing = Scope(month, scope.zone, scope.window_months).window_period
        share = pipeline_share(records.deals, trailing, minimum, interval=False)
        trend.append({"month": f"{month:%Y-%m}", "share": share.value if share.n >= minimum else None, "n": share.n})
    columns = (
        Column("share", "Referral share", "share"),
        Column("referral", "Referral pipeline", "amount"),
        Column("all", "All new pipeline", "amount"),
    )
    return Table(columns, tuple(rows), scope.window_period, extra={"trend": trend})


def attribution_totals(records: Records, minimum: int) -> Table:
    """Referrals started in the window by credit (sourced, influenced, suspected), with what their deals did."""
    scope = records.scope
    period = scope.window_period
    deals = {d.id: d for d in records.deals}
    rows = []
    for kind in ATTRIBUTIONS:
        members = [r for r in records.referrals if r.attribution == kind and r.created_at >= scope.window_start]
        linked = [deals[r.opportunity_id] for r in members if r.opportunity_id in deals]
        won = [d for d in _closed_between(linked, period) if d.outcome == "won"]
        pipeline = [d for d in linked if d.is_open]
        cells: dict[str, Cell] = {
            "referrals": count(len(members), period, scope.as_of),
            "won": total(*_amount_sum(won), period, scope.as_of),
            "pipeline": total(*_amount_sum(pipeline), period, scope.as_of),
        }
        rows.append(Row(kind, cells))
    columns = (
        Column("referrals", "Referrals", "count"),
        Column("won", "Won in the window", "amount"),
        Column("pipeline", "Open pipeline at the end", "amount"),
    )
    return Table(columns, tuple(rows), period)
