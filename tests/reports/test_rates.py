"""Rates and their Wilson intervals: published values, the edges, and what holds for every count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import InvalidInput
from referly.reports.stats import Z95, conversion_rate, wilson, win_rate


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_matches_newcombe_1998(successes: int, n: int, low: float, high: float) -> None:
    """Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of seven
    methods", Stat Med 17:857-872, Table II, method 3 (score interval without continuity correction).
    The same values to 4 decimals come out of R 4.2's ``prop.test(x, n, correct = FALSE)$conf.int``.
    """
    interval = wilson(successes, n)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)
    assert interval.level == pytest.approx(0.95, abs=1e-12)


def test_no_successes_gives_a_lower_bound_of_exactly_zero_and_all_successes_an_upper_bound_of_one() -> None:
    assert wilson(0, 7).low == 0.0
    assert wilson(7, 7).high == 1.0
    assert 0.0 < wilson(0, 7).high < 1.0
    assert 0.0 < wilson(7, 7).low < 1.0


def test_a_single_trial_gives_a_wide_interval() -> None:
    # R: prop.test(1, 1, correct = FALSE) → 0.2065 to 1.
    assert wilson(1, 1).low == pytest.approx(0.206549, abs=1e-6)


def test_zero_trials_is_refused_rather_than_reported_as_a_rate() -> None:
    with pytest.raises(InvalidInput, match="at least one trial"):
        wilson(0, 0)


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10)])
def test_successes_outside_the_trials_are_refused(successes: int, n: int) -> None:
    with pytest.raises(InvalidInput):
        wilson(successes, n)


def test_a_wider_z_gives_a_wider_interval_and_reports_its_level() -> None:
    narrow, wide = wilson(30, 100, z=1.0), wilson(30, 100, z=Z95)
    assert wide.low < narrow.low and narrow.high < wide.high
    assert narrow.level == pytest.approx(0.6827, abs=1e-4)


def test_win_rate_counts_only_decided_deals() -> None:
    rate = win_rate(won=12, lost=28)
    assert (rate.successes, rate.n, rate.value) == (12, 40, 0.3)
    assert rate.interval == wilson(12, 40)


def test_conversion_rate_carries_value_interval_and_n() -> None:
    rate = conversion_rate(converted=81, entered=263)
    assert rate.n == 263
    assert rate.value == pytest.approx(81 / 263)
    assert rate.value in rate.interval


counts = st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts)
def test_wilson_stays_in_0_1_and_contains_the_observed_rate(count: tuple[int, int]) -> None:
    successes, n = count
    interval = wilson(successes, n)
    assert 0.0 <= interval.low <= successes / n <= interval.high <= 1.0


@given(counts, st.integers(2, 20))
def test_more_data_at_the_same_rate_gives_a_narrower_interval(count: tuple[int, int], factor: int) -> None:
    successes, n = count
    assert wilson(successes * factor, n * factor).width < wilson(successes, n).width


@given(counts)
def test_wilson_is_symmetric_in_successes_and_failures(count: tuple[int, int]) -> None:
    successes, n = count
    won, lost = wilson(successes, n), wilson(n - successes, n)
    assert won.low == pytest.approx(1.0 - lost.high, abs=1e-12)
    assert won.high == pytest.approx(1.0 - lost.low, abs=1e-12)
