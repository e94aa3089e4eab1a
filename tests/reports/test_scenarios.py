"""The scenario planner: asks a month to reach the goal, always labelled scenario with its assumptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import Result

from referly.reports.queries import load_records
from referly.reports.scenarios import Assumption, Inputs, measured_inputs, plan
from tests.reports.builders import SCOPE, Book, at, ladder

Cli = Callable[..., Result]


def _stated(key: str, value: float) -> Assumption:
    return Assumption(key, value, "stated", f"{key} = {value} (stated)")


def test_the_asks_needed_follow_from_the_goal_and_the_rates() -> None:
    inputs = Inputs(
        goal_share=_stated("goal_share", 0.4),
        other_pipeline=_stated("other_pipeline", 60_000),
        deal_size=_stated("deal_size", 20_000),
        ask_to_intro=_stated("ask_to_intro", 0.5),
        intro_to_opportunity=_stated("intro_to_opportunity", 0.25),
        asks_now=_stated("asks_now", 4),
    )
    found = plan(inputs)
    values = {k: f.value for k, f in found.figures.items()}
    # 40% of the whole means 40,000 of referrals for 60,000 of others; 2 deals, 8 introductions, 16 asks.
    assert values == pytest.approx(
        {
            "referral_pipeline": 40_000,
            "opportunities": 2,
            "introductions": 8,
            "asks": 16,
            "share_at_current_pace": 10_000 / 70_000,
        }
    )
    for figure in found.figures.values():
        assert figure.label == "scenario"
        assert "asks_now = 4 (stated)" in figure.assumptions
        assert any("Steady state" in a for a in figure.assumptions)
    document = found.as_dict()
    assert document["label"] == "scenario" and document["missing"] == []


@pytest.mark.django_db
def test_measured_rates_are_used_where_there_is_enough_data_and_defaults_are_said_to_be_defaults() -> None:
    book = Book()
    for i in range(10):
        stages = ["identified", "requested", "introduced"] if i < 4 else ["identified", "requested", "declined"]
        book.referral(ladder(at("2025-10-01") + timedelta(days=i), stages))
    for _ in range(10):
        book.deal("inbound", "2025-10-01", amount=24_000)
    inputs = measured_inputs(load_records(SCOPE), 0.4, 10)
    assert inputs.ask_to_intro.origin == "measured" and inputs.ask_to_intro.value == pytest.approx(0.4)
    assert "measured: 4 of 10, 2025-04-01 to 2026-03-31" in inputs.ask_to_intro.text
    assert inputs.intro_to_opportunity.origin == "default"
    assert "planning default (insufficient data: n = 4 < 10)" in inputs.intro_to_opportunity.text
    assert inputs.other_pipeline is not None and inputs.other_pipeline.value == pytest.approx(20_000)
    assert inputs.deal_size is not None and inputs.deal_size.origin == "default"
    assert "assumed equal to the average new opportunity of every source" in inputs.deal_size.text


@pytest.mark.django_db
def test_without_pipeline_the_plan_says_what_is_missing_instead_of_a_number() -> None:
    found = plan(measured_inputs(load_records(SCOPE), 0.4, 10))
    assert found.figures == {}
    assert any("--other-pipeline" in m for m in found.missing)
    assert any("--deal-size" in m for m in found.missing)


@pytest.mark.django_db
def test_plan_command_labels_its_output_a_scenario_with_stated_assumptions(cli: Cli) -> None:
    result = cli(
        "plan", "--month", "2026-03", "--other-pipeline", "60000", "--deal-size", "20000", "--ask-to-intro", "0.5",
        "--intro-to-opportunity", "0.25", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["label"] == "scenario"
    assert document["figures"]["asks"]["label"] == "scenario"
    assert document["figures"]["asks"]["value"] == pytest.approx(16)
    texts = [a["text"] for a in document["assumptions"]]
    assert "asks that lead to an introduction: 50% (stated)" in texts
    text = cli("plan", "--month", "2026-03", "--other-pipeline", "60000", "--deal-size", "20000").output
    assert text.startswith("Scenario (not a measurement")
    assert "Referral asks needed a month:" in text and "(scenario)" in text and "planning default" in text


@pytest.mark.django_db
def test_plan_refuses_a_goal_of_everything(cli: Cli) -> None:
    result = cli("plan", "--goal-share", "1")
    assert result.exit_code == 2 and "--goal-share" in result.output
