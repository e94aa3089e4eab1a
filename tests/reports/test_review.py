"""`referly review`: a month's figures and decisions frozen once, months not over refused, staleness flagged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import Result

from referly.errors import Conflict, InvalidInput
from referly.reports.models import Review
from referly.reports.review import freeze, staleness
from referly.reports.scope import Goal, Scope, parse_month
from tests.reports.builders import SCOPE, Book, at, ladder

Cli = Callable[..., Result]
GOAL = Goal(0.40, 18)


@pytest.mark.django_db
def test_review_freezes_the_figures_chart_data_and_decisions(cli: Cli) -> None:
    book = Book()
    for i in range(10):
        book.referral(ladder(at("2026-03-02") + timedelta(hours=i), ["identified", "requested", "introduced"]))
    result = cli("review", "--month", "2026-03", "--decision", "Ask after every QBR", "--decision", "Thank referrers")
    assert result.exit_code == 0, result.output
    assert "Review of 2026-03 frozen: 18 metrics as of 2026-04-01 00:00 UTC" in result.output
    review = Review.objects.get()
    assert review.month == date(2026, 3, 1)
    assert review.decisions == ["Ask after every QBR", "Thank referrers"]
    figures = review.figures
    assert figures["month"] == "2026-03" and figures["as_of"] == "2026-04-01T00:00:00+00:00"
    rate = figures["metrics"]["stage_conversion"]["rows"][1]["cells"]["rate"]
    assert (rate["label"], rate["value"], rate["n"]) == ("measured", 1.0, 10)
    assert figures["charts"]["funnel"][2] == {"stage": "introduced", "entered": 10, "next_rate": 0.0, "next_n": 10}
    assert figures["scenarios"]["label"] == "scenario"


@pytest.mark.django_db
def test_a_second_freeze_is_refused_unless_replaced(cli: Cli) -> None:
    assert cli("review", "--month", "2026-03", "--decision", "First").exit_code == 0
    again = cli("review", "--month", "2026-03", "--decision", "Second")
    assert again.exit_code == 4
    assert "The review of 2026-03 was frozen on" in again.output and "--replace" in again.output
    assert "Traceback" not in again.output
    assert Review.objects.get().decisions == ["First"]
    replaced = cli("review", "--month", "2026-03", "--decision", "Second", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert Review.objects.get().decisions == ["Second"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("month", "phrase"),
    [("2999-12", "2999-12 is not over yet"), ("2026-13", "A month is written YYYY-MM"), ("March", "not 'March'")],
)
def test_a_month_not_over_or_misspelt_is_refused(cli: Cli, month: str, phrase: str) -> None:
    for command in ("review", "report"):
        result = cli(command, "--month", month)
        assert result.exit_code == 2, result.output
        assert phrase in result.output and "Traceback" not in result.output
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_a_month_is_over_at_the_first_instant_of_the_next_one() -> None:
    end = datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="2026-03 is not over yet"):
        freeze(SCOPE, GOAL, [], now=end - timedelta(seconds=1))
    freeze(SCOPE, GOAL, ["Go"], now=end)
    with pytest.raises(Conflict):
        freeze(SCOPE, GOAL, [], now=end + timedelta(days=3))


def test_months_are_cut_in_the_configured_time_zone() -> None:
    from zoneinfo import ZoneInfo

    paris = Scope(parse_month("2026-03"), ZoneInfo("Europe/Paris"))
    assert paris.as_of == datetime(2026, 3, 31, 22, tzinfo=UTC)  # midnight in Paris, summer time
    assert paris.month_of(datetime(2026, 3, 31, 22, 30, tzinfo=UTC)) == date(2026, 4, 1)


def test_the_review_is_due_when_the_last_one_is_older_than_30_days() -> None:
    frozen = datetime(2026, 4, 2, 9, tzinfo=UTC)
    assert staleness(None, frozen).due
    fresh = staleness((date(2026, 3, 1), frozen), frozen + timedelta(days=30))
    assert not fresh.due and fresh.text == "Last review: 2026-03, frozen 2026-04-02 (30 days ago)."
    late = staleness((date(2026, 3, 1), frozen), frozen + timedelta(days=30, seconds=1))
    assert late.due and "is 30 days old: the monthly review is due" in late.text


@pytest.mark.django_db
def test_review_output_says_when_the_review_was_overdue(cli: Cli) -> None:
    Review.objects.create(month=date(2026, 1, 1), created_at=datetime(2026, 2, 2, tzinfo=UTC), figures={})
    result = cli("review", "--month", "2026-03")
    assert result.exit_code == 0, result.output
    assert "Before this review: The last review (2026-01, frozen 2026-02-02)" in result.output
    assert "Last review: 2026-03, frozen" in result.output


@pytest.mark.django_db
def test_the_goal_runs_from_the_first_review(cli: Cli) -> None:
    book = Book()
    for i in range(10):
        book.deal("referral" if i < 2 else "inbound", "2025-12-01")
    assert cli("review", "--month", "2026-01").exit_code == 0
    assert cli("review", "--month", "2026-03").exit_code == 0
    trajectory = Review.objects.get(month=date(2026, 3, 1)).figures["trajectory"]
    assert (trajectory["start"], trajectory["deadline"]) == ("2026-01", "2027-07")
    assert trajectory["baseline"]["value"] == pytest.approx(0.2)
    path = trajectory["path"]
    assert path["label"] == "scenario"
    assert path["value"] == pytest.approx(0.2 + (0.4 - 0.2) * 2 / 18)
    assert any("straight path" in a for a in path["assumptions"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("REFERLY_REFERRAL_GOAL_SHARE", "40%", "must be a share such as 0.40"),
        ("REFERLY_REFERRAL_GOAL_SHARE", "1.2", "must be above 0 and below 1"),
        ("REFERLY_REFERRAL_GOAL_MONTHS", "0", "must be at least 1 month"),
    ],
)
def test_a_bad_goal_setting_is_one_clear_sentence(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str, value: str, phrase: str
) -> None:
    monkeypatch.setenv(name, value)
    result = cli("review", "--month", "2026-03")
    assert result.exit_code == 6 and f"{name} {phrase}" in result.output
    assert not Review.objects.exists()
