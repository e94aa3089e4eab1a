"""Kaplan–Meier survival and its median, on the textbook 6-MP data and on every input hypothesis can think of."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import InvalidInput
from referly.reports.stats import kaplan_meier, median_survival

# Freireich et al. (1963), 6-mercaptopurine arm: weeks in remission for 21 patients, False = censored.
SIX_MP_WEEKS = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_RELAPSED = [True] * 9 + [False] * 12


def test_six_mp_survival_table() -> None:
    """Klein & Moeschberger, "Survival Analysis", 2nd ed. (2003), Table 4.1A: S(t) and Greenwood standard errors
    for the 6-MP group (also Kleinbaum & Klein, "Survival Analysis: A Self-Learning Text", ch. 2). The log-log
    band matches R 4.2 / survival 3.5-3, ``survfit(Surv(t, e) ~ 1, conf.type = "log-log")``, to 6 decimals.
    """
    table = kaplan_meier(SIX_MP_WEEKS, SIX_MP_RELAPSED)
    expected = [  # time, at risk, relapses, S(t), SE, band low, band high
        (6, 21, 3, 0.857143, 0.076360, 0.619718, 0.951552),
        (7, 17, 1, 0.806723, 0.086935, 0.563147, 0.922809),
        (10, 15, 1, 0.752941, 0.096350, 0.503200, 0.889362),
        (13, 12, 1, 0.690196, 0.106815, 0.431610, 0.849066),
        (16, 11, 1, 0.627451, 0.114054, 0.367511, 0.804912),
        (22, 7, 1, 0.537815, 0.128234, 0.267779, 0.746791),
        (23, 6, 1, 0.448179, 0.134591, 0.188052, 0.680143),
    ]
    assert [(s.time, s.at_risk, s.events) for s in table] == [row[:3] for row in expected]
    for step, (*_, survival, std_err, low, high) in zip(table, expected, strict=True):
        assert step.survival == pytest.approx(survival, abs=1e-6)
        assert step.std_err == pytest.approx(std_err, abs=1e-6)
        assert step.band() == pytest.approx((low, high), abs=1e-6)


def test_six_mp_median_is_23_weeks_with_an_upper_limit_not_reached() -> None:
    """R survival 3.5-3 prints for this arm: median 23, 0.95LCL 13, 0.95UCL NA (log-log band)."""
    median = median_survival(kaplan_meier(SIX_MP_WEEKS, SIX_MP_RELAPSED))
    assert (median.median, median.low, median.high) == (23.0, 13.0, None)
    assert median.reached


def test_median_interval_of_ten_uncensored_times() -> None:
    """Times 1..10, all events: R gives 0.95LCL 1 and 0.95UCL 8. R's median is 5.5, the middle of the stretch
    where S(t) = 0.5 exactly; this module reports the first time S(t) ≤ 0.5, which is 5.
    """
    table = kaplan_meier(list(range(1, 11)), [True] * 10)
    median = median_survival(table)
    assert (median.median, median.low, median.high) == (5.0, 1.0, 8.0)
    assert table[-1].survival == 0.0 and table[-1].band() is None


def test_median_is_not_reached_while_more_than_half_are_still_waiting() -> None:
    # Three deals won on days 10, 20 and 30; seven still open at day 40.
    table = kaplan_meier([10, 20, 30] + [40] * 7, [True] * 3 + [False] * 7)
    assert table[-1].survival == pytest.approx(0.7)
    median = median_survival(table)
    assert not median.reached and median.median is None and median.high is None


def test_a_subject_censored_at_an_event_time_is_still_at_risk_then() -> None:
    table = kaplan_meier([5, 5, 8], [True, False, True])
    assert (table[0].at_risk, table[0].events, table[0].survival) == (3, 1, pytest.approx(2 / 3))
    # The censored subject leaves after day 5, so the last subject's event at day 8 ends the curve.
    assert (table[1].at_risk, table[1].survival) == (1, 0.0)


def test_no_event_at_all_gives_an_empty_table_and_no_median() -> None:
    table = kaplan_meier([3, 4, 5], [False, False, False])
    assert table == ()
    assert not median_survival(table).reached


@pytest.mark.parametrize(
    ("durations", "observed"),
    [([], []), ([1.0, 2.0], [True]), ([-1.0], [True]), ([float("nan")], [True])],
)
def test_bad_survival_input_is_refused(durations: list[float], observed: list[bool]) -> None:
    with pytest.raises(InvalidInput):
        kaplan_meier(durations, observed)


subjects = st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=80)


@given(subjects)
def test_survival_is_non_increasing_and_within_0_1(data: list[tuple[int, bool]]) -> None:
    table = kaplan_meier([d for d, _ in data], [o for _, o in data])
    survivals = [s.survival for s in table]
    assert all(0.0 <= s <= 1.0 for s in survivals)
    assert all(b <= a for a, b in pairwise(survivals))
    assert sum(s.events for s in table) == sum(o for _, o in data)


@given(subjects)
def test_without_censoring_survival_is_the_share_not_yet_failed(data: list[tuple[int, bool]]) -> None:
    durations = [d for d, _ in data]
    for step in kaplan_meier(durations, [True] * len(durations)):
        still_waiting = sum(d > step.time for d in durations) / len(durations)
        assert step.survival == pytest.approx(still_waiting, abs=1e-12)


@given(subjects)
def test_median_interval_brackets_the_median(data: list[tuple[int, bool]]) -> None:
    median = median_survival(kaplan_meier([d for d, _ in data], [o for _, o in data]))
    if median.median is not None and median.low is not None:
        assert median.low <= median.median
    if median.median is not None and median.high is not None:
        assert median.median <= median.high
    if median.median is None:
        assert median.high is None
