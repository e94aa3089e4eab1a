"""Evidence labels: a figure says what it is, and below the minimum sample it shows no number."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from referly.errors import InvalidInput
from referly.reports.evidence import (
    INSUFFICIENT,
    Example,
    Insufficient,
    Label,
    Measured,
    Period,
    Scenario,
    measure,
    measured_rate,
)
from referly.reports.stats import wilson

MAY = Period(date(2024, 5, 1), date(2024, 5, 31))
AS_OF = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)


def test_a_rate_below_the_minimum_sample_is_insufficient_data_without_a_value() -> None:
    figure = measured_rate(3, 4, period=MAY, as_of=AS_OF, minimum=10)
    assert isinstance(figure, Insufficient)
    assert str(figure) == "insufficient data (n = 4, needs 10)"
    stored = figure.as_dict()
    assert stored["value"] is None and stored["status"] == INSUFFICIENT and stored["label"] == "measured"


def test_zero_trials_is_insufficient_data_not_an_error() -> None:
    assert isinstance(measured_rate(0, 0, period=MAY, as_of=AS_OF), Insufficient)


def test_a_rate_at_the_minimum_is_measured_with_its_interval_n_period_and_as_of() -> None:
    figure = measured_rate(4, 10, period=MAY, as_of=AS_OF, minimum=10)
    assert isinstance(figure, Measured)
    assert (figure.value, figure.n, figure.interval) == (0.4, 10, wilson(4, 10))
    stored = json.loads(json.dumps(figure.as_dict()))
    assert stored["label"] == "measured"
    assert stored["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    assert stored["as_of"] == "2024-06-01T06:00:00+00:00"
    assert stored["interval"]["method"] == "wilson"


def test_measure_keeps_the_unit_and_withholds_small_samples() -> None:
    assert measure(41.0, n=25, period=MAY, as_of=AS_OF, unit="days").as_dict()["value"] == 41.0
    assert measure(41.0, n=5, period=MAY, as_of=AS_OF, unit="days").as_dict()["value"] is None


def test_scenario_and_example_figures_carry_their_own_labels() -> None:
    scenario = Scenario(12.0, ("30% of asks accepted", "40% of intros become opportunities"), unit="deals")
    example = Example(3.0, "illustration in the guide")
    assert (scenario.label, example.label) == (Label.SCENARIO, Label.EXAMPLE)
    assert scenario.as_dict()["assumptions"] == ["30% of asks accepted", "40% of intros become opportunities"]


def test_a_scenario_without_assumptions_is_refused() -> None:
    with pytest.raises(InvalidInput, match="assumptions"):
        Scenario(12.0, ())


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput):
        Period(date(2024, 5, 31), date(2024, 5, 1))


def test_a_minimum_below_one_is_refused() -> None:
    with pytest.raises(InvalidInput):
        measured_rate(0, 0, period=MAY, as_of=AS_OF, minimum=0)


def test_a_measured_figure_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="finite"):
        measure(float("nan"), n=50, period=MAY, as_of=AS_OF)
