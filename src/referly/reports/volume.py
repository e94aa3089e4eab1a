"""Volume and quality: how many asks and referrals each month, which scripts work, how happy the referrers are."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
from numpy.typing import NDArray

from referly.referrals.models import AskKind
from referly.reports.evidence import measured_rate
from referly.reports.queries import LADDER, Records, ReferralRecord
from referly.reports.scope import month_period
from referly.reports.stats import bootstrap_interval
from referly.reports.tables import Cell, Column, Row, Table, count, estimate

BOOTSTRAP_SEED = 20_251_101
"""Fixed seed of every bootstrap interval in a report: the same records always give the same interval."""

MONTHLY_STAGES = ("requested", "introduced", "opportunity", "won")


def asks_per_month(records: Records, minimum: int) -> Table:
    """Asks logged in the ledger per month of the window: referral asks, and every kind of ask."""
    scope = records.scope
    referral: dict[date, int] = defaultdict(int)
    every: dict[date, int] = defaultdict(int)
    for ask in records.asks:
        month = scope.month_of(ask.asked_at)
        every[month] += 1
        if ask.kind == AskKind.REFERRAL:
            referral[month] += 1
    rows = tuple(
        Row(
            f"{m:%Y-%m}",
            {
                "referral": count(referral[m], month_period(m), scope.as_of),
                "all": count(every[m], month_period(m), scope.as_of),
            },
        )
        for m in scope.months
    )
    columns = (Column("referral", "Referral asks", "count"), Column("all", "All asks", "count"))
    return Table(columns, rows, scope.window_period)


def referrals_per_month(records: Records, minimum: int) -> Table:
    """Referrals entering requested, introduced, opportunity and won each month (first entry of each)."""
    scope = records.scope
    tally: dict[tuple[date, str], int] = defaultdict(int)
    for referral in records.referrals:
        for stage in MONTHLY_STAGES:
            at = referral.entered(stage)
            if at is not None and at >= scope.window_start:
                tally[(scope.month_of(at), stage)] += 1
    rows = tuple(
        Row(f"{m:%Y-%m}", {s: count(tally[(m, s)], month_period(m), scope.as_of) for s in MONTHLY_STAGES})
        for m in scope.months
    )
    columns = tuple(Column(s, s.capitalize(), "count") for s in MONTHLY_STAGES)
    return Table(columns, rows, scope.window_period)


def _in_window(referral: ReferralRecord, records: Records) -> bool:
    return records.scope.window_start <= referral.created_at < records.scope.as_of


def outcomes_by_script(records: Records, minimum: int) -> Table:
    """Per ask script (``Referral.script_key``): referrals started in the window, how many were introduced, won."""
    scope = records.scope
    period = scope.window_period
    groups: dict[str, list[ReferralRecord]] = defaultdict(list)
    for referral in records.referrals:
        if _in_window(referral, records):
            groups[referral.script_key or "(no script recorded)"].append(referral)
    introduced_rung = LADDER.index("introduced")
    rows = []
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        introduced = sum(1 for r in members if r.highest_rung >= introduced_rung)
        won = sum(1 for r in members if r.entered("won") is not None)
        cells: dict[str, Cell] = {
            "referrals": count(len(members), period, scope.as_of),
            "introduced_rate": measured_rate(
                introduced, len(members), period=period, as_of=scope.as_of, minimum=minimum
            ),
            "won": count(won, period, scope.as_of),
        }
        rows.append(Row(key, cells))
    columns = (
        Column("referrals", "Referrals started", "count"),
        Column("introduced_rate", "Reached an introduction", "share"),
        Column("won", "Won", "count"),
    )
    return Table(columns, tuple(rows), period)


def net_promoter(scores: NDArray[np.float64]) -> float:
    """NPS: % promoters (9–10) minus % detractors (0–6), from −100 to +100."""
    return float(100.0 * (np.mean(scores >= 9) - np.mean(scores <= 6)))


def row_net_promoters(resamples: NDArray[np.float64]) -> NDArray[np.float64]:
    """``net_promoter`` of every row at once."""
    found: NDArray[np.float64] = 100.0 * (np.mean(resamples >= 9, axis=1) - np.mean(resamples <= 6, axis=1))
    return found


def referrer_nps(records: Records, minimum: int) -> Table:
    """NPS of contacts who referred, beside the other client contacts who answered, in the window.

    Each person counts once, with their latest answer in the window.
    """
    scope = records.scope
    period = scope.window_period
    latest: dict[int, int] = {}
    for answer in records.nps:  # oldest first: later answers overwrite earlier ones
        latest[answer.contact_id] = answer.score
    referrers = records.referrer_ids
    groups = {
        "Referrers": [s for c, s in latest.items() if c in referrers],
        "Other contacts who answered": [s for c, s in latest.items() if c not in referrers],
    }
    rows = []
    for name, scores in groups.items():
        sample = np.asarray(scores, dtype=np.float64)
        cells: dict[str, Cell] = {
            "nps": estimate(
                net_promoter(sample) if sample.size else 0.0,
                int(sample.size),
                period,
                scope.as_of,
                minimum,
                (
                    bootstrap_interval(sample, net_promoter, rng=BOOTSTRAP_SEED, batched=row_net_promoters)
                    if sample.size >= minimum
                    else None
                ),
                "nps",
            ),
            "promoters": count(int(np.sum(sample >= 9)), period, scope.as_of),
            "detractors": count(int(np.sum(sample <= 6)), period, scope.as_of),
        }
        rows.append(Row(name, cells))
    columns = (
        Column("nps", "NPS", "nps"),
        Column("promoters", "Promoters (9–10)", "count"),
        Column("detractors", "Detractors (0–6)", "count"),
    )
    return Table(columns, tuple(rows), period)
