"""Bootstrap percentile intervals: reproducible from a seed, around the estimate, narrower with more data."""

from __future__ import annotations

import numpy as np
import pytest

from referly.errors import InvalidInput
from referly.reports.stats import bootstrap_interval, bootstrap_median

DEAL_DAYS = [12, 18, 21, 25, 30, 33, 35, 41, 44, 52, 58, 60, 67, 75, 90, 104, 120, 151, 180, 240]


def test_the_same_seed_gives_the_same_interval_and_another_seed_may_not() -> None:
    first = bootstrap_median(DEAL_DAYS, rng=20240501)
    assert bootstrap_median(DEAL_DAYS, rng=20240501) == first
    assert bootstrap_median(DEAL_DAYS, rng=np.random.default_rng(20240501)) == first
    assert bootstrap_median(DEAL_DAYS, rng=7) != first


def test_the_interval_contains_the_sample_median() -> None:
    interval = bootstrap_median(DEAL_DAYS, rng=1)
    assert interval.low < float(np.median(DEAL_DAYS)) < interval.high
    assert interval.method == "bootstrap percentile" and interval.level == 0.95


def test_the_interval_narrows_as_the_sample_grows() -> None:
    population = np.random.default_rng(3).lognormal(mean=4.0, sigma=0.8, size=20_000)
    widths = [bootstrap_median(population[:n], rng=11, resamples=1000).width for n in (30, 300, 3000)]
    assert widths[0] > widths[1] > widths[2]
    # The median's standard error falls as 1/√n: ten times the data, roughly a third of the width.
    assert widths[2] < widths[0] / 4


def test_a_generic_statistic_is_bootstrapped_too() -> None:
    interval = bootstrap_interval(DEAL_DAYS, lambda a: float(np.mean(a)), rng=5)
    assert float(np.mean(DEAL_DAYS)) in interval
    assert bootstrap_interval(DEAL_DAYS, lambda a: float(np.max(a)), rng=5).high == 240


def test_a_lower_level_gives_a_narrower_interval() -> None:
    assert bootstrap_median(DEAL_DAYS, rng=2, level=0.5).width < bootstrap_median(DEAL_DAYS, rng=2).width


@pytest.mark.parametrize("sample", [[], [1.0, float("inf")]])
def test_an_empty_or_non_finite_sample_is_refused(sample: list[float]) -> None:
    with pytest.raises(InvalidInput):
        bootstrap_median(sample, rng=0)
