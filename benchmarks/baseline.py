"""The baseline every scoring benchmark compares with: the simplest useful reduction, written by hand."""

from __future__ import annotations

DAY = 86_400


def decayed_sum_sql(source: str, as_of: int, half_life_days: float) -> str:
    """Only the decayed per-pair sum, Σ 2^(−age/half_life), over ``source`` (a, b, ts): no kinds, no counts."""
    return (
        f"SELECT a, b, SUM(power(CAST(2 AS DOUBLE PRECISION), CAST(ts - {as_of} AS DOUBLE PRECISION) / "
        f"{half_life_days * DAY})) AS decayed FROM {source} AS events WHERE ts < {as_of} GROUP BY a, b"
    )
