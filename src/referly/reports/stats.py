"""Statistics behind reported figures: rates, time to an outcome, and intervals for a median.

Every function is pure: explicit inputs, no clock, no randomness that the caller did not seed.

- Rates (win rate, conversion rate) carry a 95% Wilson score interval (Wilson 1927; recommended over the
  Wald interval by Newcombe 1998, "Two-sided confidence intervals for the single proportion", Stat Med 17).
- Time to an outcome (days from introduction to a won deal, with open deals still waiting) is a Kaplan–Meier
  estimate with right censoring, Greenwood's variance and a log-log pointwise band; its median carries the
  Brookmeyer–Crowley interval (Brookmeyer & Crowley 1982) read off that band, as R's ``survival`` package does.
- A median of a plain sample (deal size, days in stage) carries a bootstrap percentile interval drawn from a
  seeded ``numpy`` generator, so the same inputs and seed always give the same interval.

An interval is a statement about sampling noise under the method's assumptions (independent observations,
non-informative censoring); it says nothing about bias in how the data were recorded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from referly.errors import InvalidInput
from referly.kit.stats import wilson_bounds

Z95 = 1.959963984540054
"""Φ⁻¹(0.975): the normal quantile of a two-sided 95% interval."""


@dataclass(frozen=True)
class Interval:
    """A two-sided interval ``[low, high]`` with its nominal coverage and the method that made it."""

    low: float
    high: float
    level: float
    method: str

    @property
    def width(self) -> float:
        return self.high - self.low

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def _level(z: float) -> float:
    """Two-sided coverage of ±z standard errors: ``2Φ(z) − 1 = erf(z/√2)``."""
    return math.erf(z / math.sqrt(2.0))


def _check_z(z: float) -> None:
    if not (math.isfinite(z) and z > 0):
        raise InvalidInput("z must be a positive number", detail=f"got {z}")


# --- Rates -------------------------------------------------------------------------------------------------


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for a proportion ``p̂ = successes / n``.

    ``(p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``, without continuity correction. It stays in [0, 1],
    is exactly 0 at the low end when ``successes = 0`` and exactly 1 at the high end when ``successes = n``.

    ``n = 0`` raises ``InvalidInput``: zero trials give no rate and no interval. Report code goes through
    ``referly.reports.evidence``, which says "insufficient data" long before that.
    """
    _check_z(z)
    if n <= 0:
        raise InvalidInput("a rate needs at least one trial", detail=f"n = {n}")
    if not 0 <= successes <= n:
        raise InvalidInput("successes must be between 0 and the number of trials", detail=f"{successes} of {n}")
    low, high = wilson_bounds(successes, n, z)
    return Interval(low, high, _level(z), "wilson")


@dataclass(frozen=True)
class Rate:
    """A proportion with everything needed to judge it: the counts and the Wilson interval."""

    successes: int
    n: int
    interval: Interval

    @property
    def value(self) -> float:
        return self.successes / self.n


def conversion_rate(converted: int, entered: int, z: float = Z95) -> Rate:
    """Share of ``entered`` items that ``converted`` (e.g. introductions that became an opportunity)."""
    return Rate(converted, entered, wilson(converted, entered, z))


def win_rate(won: int, lost: int, z: float = Z95) -> Rate:
    """Won deals over decided deals, ``won / (won + lost)``: open deals are not in the denominator."""
    if won < 0 or lost < 0:
        raise InvalidInput("won and lost counts cannot be negative", detail=f"won {won}, lost {lost}")
    return conversion_rate(won, won + lost, z)


# --- Time to an outcome ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurvivalStep:
    """One row of a Kaplan–Meier table, at a time when at least one event happened.

    ``survival`` is ``S(t) = Π_{t_j ≤ t} (1 − d_j/n_j)``; ``greenwood`` is ``Σ_{t_j ≤ t} d_j / (n_j(n_j − d_j))``,
    so Greenwood's variance is ``S(t)² · greenwood`` (infinite once ``S`` reaches 0).
    """

    time: float
    at_risk: int
    events: int
    survival: float
    greenwood: float

    @property
    def std_err(self) -> float:
        """Greenwood standard error of ``S(t)``."""
        return self.survival * math.sqrt(self.greenwood) if self.survival > 0 else math.nan

    def band(self, z: float = Z95) -> tuple[float, float] | None:
        """Pointwise log-log interval ``S^exp(±z·σ)`` with ``σ = √greenwood / |log S|``; None where S is 0.

        The transform keeps the band inside (0, 1) (Kalbfleisch & Prentice; R's ``conf.type = "log-log"``).
        """
        if self.survival <= 0.0:
            return None
        if self.survival >= 1.0:
            return (1.0, 1.0)
        sigma = math.sqrt(self.greenwood) / abs(math.log(self.survival))
        return (self.survival ** math.exp(z * sigma), self.survival ** math.exp(-z * sigma))


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> tuple[SurvivalStep, ...]:
    """Kaplan–Meier estimate of the share still without the event after each event time.

    ``durations[i]`` is the time subject i was followed; ``observed[i]`` is True when the event happened at that
    time and False when follow-up stopped without it (right censoring: the deal is still open as of the report).
    Ties: events at time t happen before censorings at t, so a subject censored at t still counts as at risk at t.
    Rows are the distinct event times in order; between them the estimate is flat.
    """
    if len(durations) != len(observed):
        detail = f"{len(durations)} and {len(observed)}"
        raise InvalidInput("durations and observed must have the same length", detail=detail)
    if len(durations) == 0:
        raise InvalidInput("a survival estimate needs at least one subject")
    times = np.asarray(durations, dtype=np.float64)
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise InvalidInput("durations must be finite and not negative")
    events = np.asarray(observed, dtype=bool)
    event_times, deaths = np.unique(times[events], return_counts=True)
    at_risk_counts = times.size - np.searchsorted(np.sort(times), event_times, side="left")
    steps: list[SurvivalStep] = []
    survival, greenwood = 1.0, 0.0
    for t, at_risk, died in zip(event_times.tolist(), at_risk_counts.tolist(), deaths.tolist(), strict=True):
        survival *= 1.0 - died / at_risk
        greenwood = greenwood + died / (at_risk * (at_risk - died)) if died < at_risk else math.inf
        steps.append(SurvivalStep(float(t), int(at_risk), int(died), survival, greenwood))
    return tuple(steps)


@dataclass(frozen=True)
class MedianSurvival:
    """Median time to the event with its interval; ``None`` means "not reached" within the data."""

    median: float | None
    low: float | None
    high: float | None
    level: float

    @property
    def reached(self) -> bool:
        return self.median is not None


def median_survival(table: Sequence[SurvivalStep], z: float = Z95) -> MedianSurvival:
    """Median of a Kaplan–Meier table: the first event time with ``S(t) ≤ 0.5``, and its interval.

    The interval inverts the pointwise log-log band (Brookmeyer & Crowley 1982): its low end is the first time
    the band's lower curve is ≤ 0.5, its high end the first time the band's upper curve is ≤ 0.5. Any of the three
    is ``None`` when its curve never falls to 0.5 in the data: the median is then "not reached", which is a finding,
    not a number. Where ``S(t)`` sits exactly on 0.5 over a stretch, R reports the middle of the stretch; this
    reports its start.
    """
    _check_z(z)
    median = next((s.time for s in table if s.survival <= 0.5), None)
    bands = [(s.time, s.band(z)) for s in table]
    low = next((t for t, b in bands if b is not None and b[0] <= 0.5), None)
    high = next((t for t, b in bands if b is not None and b[1] <= 0.5), None)
    return MedianSurvival(median, low, high, _level(z))


# --- Bootstrap ---------------------------------------------------------------------------------------------

Statistic = Callable[[NDArray[np.float64]], float]


def _median(sample: NDArray[np.float64]) -> float:
    return float(np.median(sample))


BatchStatistic = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""A statistic computed on every row of a 2-D array of resamples at once, one value per row."""

BATCH_CELLS = 1 << 20
"""At most this many resampled values are held at once (8 MiB): larger samples are resampled in chunks of rows."""


def bootstrap_interval(
    sample: Sequence[float] | NDArray[np.float64],
    statistic: Statistic,
    *,
    rng: np.random.Generator | int,
    resamples: int = 2000,
    level: float = 0.95,
    batched: BatchStatistic | None = None,
) -> Interval:
    """Percentile bootstrap interval of ``statistic`` (Efron & Tibshirani 1993, ch. 13).

    Draws ``resamples`` samples of the same size with replacement, computes the statistic on each and returns the
    ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of those values (numpy's default linear interpolation).
    ``rng`` is a generator or a seed: the same sample and seed always give the same interval. The percentile
    interval assumes the statistic's sampling distribution is roughly symmetric around it; for small samples
    (under about 20) the median's bootstrap distribution is lumpy and the interval is coarse.

    ``batched``, when given, is the same statistic over a 2-D array (one resample a row): the resamples are then
    drawn a block of rows at a time and computed together. A generator's draws of ``(rows, n)`` integers are the
    draws of ``rows`` successive samples of ``n``, so the interval is the same as with ``statistic`` alone, to
    the last bit, provided ``batched`` computes each row as ``statistic`` does.
    """
    values = np.asarray(sample, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise InvalidInput("a bootstrap needs a non-empty list of numbers")
    if not np.all(np.isfinite(values)):
        raise InvalidInput("a bootstrap sample must hold finite numbers only")
    if resamples < 1:
        raise InvalidInput("resamples must be at least 1", detail=f"got {resamples}")
    if not 0.0 < level < 1.0:
        raise InvalidInput("level must be between 0 and 1", detail=f"got {level}")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = values.size
    if batched is None:
        draws = np.fromiter(
            (statistic(values[generator.integers(0, n, size=n)]) for _ in range(resamples)),
            dtype=np.float64,
            count=resamples,
        )
    else:
        rows = max(1, BATCH_CELLS // n)
        blocks = []
        for first in range(0, resamples, rows):
            picked = generator.integers(0, n, size=(min(rows, resamples - first), n))
            blocks.append(np.asarray(batched(values[picked]), dtype=np.float64))
        draws = np.concatenate(blocks)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return Interval(float(low), float(high), level, "bootstrap percentile")


def bootstrap_median(
    sample: Sequence[float] | NDArray[np.float64],
    *,
    rng: np.random.Generator | int,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval of the median (see ``bootstrap_interval``)."""
    return bootstrap_interval(sample, _median, rng=rng, resamples=resamples, level=level)
