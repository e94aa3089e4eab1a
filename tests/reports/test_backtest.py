"""The ranking backtest: the records as they stood at a past moment, the figures, and the command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from click.testing import Result

from referly.reports.backtest import (
    ACTION,
    RANDOM_EXPECTED,
    ScoredAsk,
    calibration,
    expected_precision_at,
    measure_outcome,
    midnight,
    periods,
)
from referly.reports.evidence import Insufficient, Measured, Period
from referly.reports.snapshot import ReferralAsk
from tests.factories import make_account, make_contact, make_opportunity

T_DAY = date(2026, 3, 1)
T = midnight(T_DAY)
READ_AT = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = Period(date(2026, 1, 1), date(2026, 10, 31))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def rows(table: Any, key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in table.to_pylist()}


# --- The records as of T ----------------------------------------------------------------------------------


@pytest.fixture
def history(alice: Any) -> dict[str, Any]:
    """A small company whose records run past T = 2026-03-01 00:00 UTC."""
    from referly.crm.models import Connection, Interaction, OpportunityStageChange, Signal
    from referly.referrals.models import Ask, Referral, ReferralTransition

    client = make_account("Early client", lifecycle="client", client_since=date(2025, 1, 1))
    late = make_account("Signed after T", lifecycle="client", client_since=date(2026, 4, 1))
    on_the_day = make_account("Signed on T's day", lifecycle="client", client_since=T_DAY)
    gone = make_account(
        "Churned before T", lifecycle="churned", client_since=date(2024, 1, 1), churned_on=date(2026, 1, 15)
    )
    leaving = make_account(
        "Churned after T", lifecycle="churned", client_since=date(2024, 1, 1), churned_on=date(2026, 5, 1)
    )
    prospect = make_account("Prospect")
    sponsor, target = make_contact(client), make_contact(prospect)
    other = make_contact(late)

    def referral(created: str, stages: list[tuple[str, str]]) -> Referral:
        made = Referral.objects.create(
            referrer_contact=sponsor,
            referrer_account=client,
            target_account=prospect,
            target_contact=target,
            owner=alice,
            stage=stages[-1][0],
            created_at=at(created),
            stage_changed_at=at(stages[-1][1]),
        )
        previous = ""
        for stage, day in stages:
            ReferralTransition.objects.create(referral=made, from_stage=previous, to_stage=stage, at=at(day))
            previous = stage
        return made

    won_later = referral(
        "2026-01-10",
        [
            ("identified", "2026-01-10"),
            ("requested", "2026-01-20"),
            ("introduced", "2026-02-10"),
            ("meeting", "2026-03-05"),
            ("opportunity", "2026-04-01"),
            ("won", "2026-06-01"),
        ],
    )
    after_t = referral("2026-03-02", [("identified", "2026-03-02")])
    hidden = referral("2026-02-20", [("identified", "2026-02-20"), ("requested", "2026-03-03")])

    deal = make_opportunity(
        prospect, name="Won after T", stage="won", created_on=date(2026, 1, 5), closed_on=date(2026, 4, 1)
    )
    for stage, day in [("prospecting", "2026-01-05"), ("proposal", "2026-02-20"), ("won", "2026-04-01")]:
        OpportunityStageChange.objects.create(opportunity=deal, stage=stage, changed_at=at(day))
    make_opportunity(late, name="Created after T", stage="qualification", created_on=date(2026, 3, 10))
    make_opportunity(
        leaving, name="Lost before T", stage="lost", created_on=date(2025, 6, 1), closed_on=date(2026, 2, 1)
    )
    make_opportunity(gone, name="No history", stage="won", created_on=date(2025, 12, 1), closed_on=date(2026, 3, 20))

    Ask.objects.create(
        contact=sponsor, account=client, asked_at=at("2026-01-02"), outcome="declined", outcome_at=at("2026-02-01")
    )
    Ask.objects.create(
        contact=sponsor, account=client, asked_at=at("2026-02-15"), outcome="accepted", outcome_at=at("2026-03-15")
    )
    Ask.objects.create(contact=sponsor, account=client, asked_at=at("2026-03-20"))

    Signal.objects.create(account=client, contact=sponsor, kind="nps", nps_score=9, occurred_on=date(2026, 2, 28))
    Signal.objects.create(account=client, contact=sponsor, kind="nps", nps_score=2, occurred_on=T_DAY)
    Signal.objects.create(
        account=client, kind="support_escalation", occurred_on=date(2026, 2, 1), resolved_on=date(2026, 3, 10)
    )
    low, high = sorted([sponsor, target], key=lambda c: c.pk)
    Connection.objects.create(
        from_contact=low,
        to_contact=high,
        kind="declared",
        confidence=0.7,
        provenance="Declared",
        since=date(2026, 2, 1),
    )
    Connection.objects.create(
        from_contact=low,
        to_contact=high,
        kind="past_introduction",
        confidence=0.9,
        provenance="Referral",
        since=date(2026, 3, 5),
    )
    Connection.objects.create(
        from_contact=min(sponsor, other, key=lambda c: c.pk),
        to_contact=max(sponsor, other, key=lambda c: c.pk),
        kind="board_seat",
        confidence=0.5,
        provenance="Board",
    )
    Interaction.objects.create(teammate=alice, contact=sponsor, kind=3, occurred_at=at("2026-02-28", 23))
    Interaction.objects.create(teammate=alice, contact=sponsor, kind=3, occurred_at=at("2026-03-01", 1))
    return {
        "accounts": {a.name: a.pk for a in (client, late, on_the_day, gone, leaving, prospect)},
        "won_later": won_later,
        "after_t": after_t,
        "hidden": hidden,
        "sponsor": sponsor,
        "target": target,
    }


@pytest.mark.django_db
def test_the_records_as_of_t_hold_nothing_that_happened_after_t(history: dict[str, Any]) -> None:
    from referly.reports.snapshot import inputs_as_of

    inputs = inputs_as_of(T, hidden_referrals=[history["hidden"].pk])

    accounts = rows(inputs.accounts, "id")
    lifecycle = {name: accounts[pk]["lifecycle"] for name, pk in history["accounts"].items()}
    assert lifecycle == {
        "Early client": "client",
        "Signed after T": "prospect",
        "Signed on T's day": "prospect",  # a date is known once its day is over
        "Churned before T": "churned",
        "Churned after T": "client",
        "Prospect": "prospect",
    }
    assert accounts[history["accounts"]["Signed after T"]]["client_day"] is None

    # the referral won in June was introduced at T; the one created after T and the hidden one are absent
    assert inputs.referrals.to_pylist() == [
        {
            "referrer_contact_id": history["sponsor"].pk,
            "target_account_id": history["accounts"]["Prospect"],
            "stage": "introduced",
        }
    ]

    # the deal won in April was at proposal; the deal created after T and the one lost before T are absent;
    # the deal without stage history that closed after T was open, at its first stage
    assert sorted((r["account_id"], r["stage"]) for r in inputs.opportunities.to_pylist()) == sorted(
        [(history["accounts"]["Prospect"], "proposal"), (history["accounts"]["Churned before T"], "prospecting")]
    )

    # the ask answered after T is still pending at T; the ask made after T is absent
    asks = sorted(inputs.asks.to_pylist(), key=lambda r: r["asked_ts"])
    assert [(a["outcome"], a["outcome_ts"] is None) for a in asks] == [("declined", False), ("pending", True)]

    # the NPS answered on T's own day is unknown; the escalation resolved after T is still open
    signals = inputs.signals.to_pylist()
    assert [s["nps_score"] for s in signals if s["kind"] == "nps"] == [9]
    assert [s["resolved_day"] for s in signals if s["kind"] == "support_escalation"] == [None]

    # the introduction made after T is not yet a tie; the undated tie stays
    assert sorted(c["kind"] for c in inputs.connections.to_pylist()) == ["board_seat", "declared"]


@pytest.mark.django_db
def test_touches_from_t_on_are_not_reduced(history: dict[str, Any]) -> None:
    from referly.scoring.config import load_settings
    from referly.scoring.store import reduce_in_database

    pairs = reduce_in_database(T, load_settings().strength).table.to_pylist()
    assert [p["touches"] for p in pairs] == [1]
    assert pairs[0]["last_ts"] < T


@pytest.mark.django_db
def test_each_ask_is_dated_by_its_request_and_labelled_by_how_far_it_went(history: dict[str, Any]) -> None:
    from referly.reports.snapshot import referral_asks

    asks = referral_asks(midnight(date(2026, 1, 1)), midnight(date(2026, 12, 31)))
    assert [(a.referral_id, a.introduced, a.opportunity, a.still_open) for a in asks] == [
        (history["won_later"].pk, True, True, False),
        (history["hidden"].pk, False, False, True),
    ]
    assert asks[0].requested_ts == int(at("2026-01-20").timestamp())
    assert referral_asks(midnight(date(2026, 2, 1)), midnight(date(2026, 3, 3))) == []


# --- The figures ------------------------------------------------------------------------------------------


def scored(action: list[float], positives: list[bool], **fields: Any) -> list[ScoredAsk]:
    return [
        ScoredAsk(
            ask=ReferralAsk(i, 100 + i, 200 + i, T, "won" if p else "declined", p, p),
            moment=T,
            action_score=s,
            action_rank=None if s == 0 else i + 1,
            parts=None,
            sponsor_score=fields.get("sponsor", [0.0] * len(action))[i],
            nps=fields.get("nps", [None] * len(action))[i],
            days_since_touch=fields.get("days", [None] * len(action))[i],
        )
        for i, (s, p) in enumerate(zip(action, positives, strict=True))
    ]


def figures(outcome: Any) -> dict[str, Any]:
    return {r.name: r for r in outcome.rankings}


def test_a_ranking_that_puts_every_positive_first_scores_an_auc_of_1() -> None:
    labels = [True] * 4 + [False] * 8
    asks = scored([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0, 0.0], labels, nps=[0] * 4 + [10] * 8)
    result = figures(measure_outcome("introduced", asks, SPAN, READ_AT, seed=1))
    action = result[ACTION]
    assert isinstance(action.auc, Measured)
    assert action.auc.value == 1.0 and action.auc.n == 12 and action.auc.period == SPAN
    assert action.auc.interval is not None and action.auc.interval.high == 1.0
    assert action.precision[5].value == pytest.approx(4 / 5)
    assert action.precision[10].value == pytest.approx(4 / 10)
    assert result["NPS only"].auc.value == 0.0  # every promoter failed
    assert result[RANDOM_EXPECTED].auc.value == 0.5
    assert result[RANDOM_EXPECTED].precision[5].value == pytest.approx(4 / 12)
    # ties (no touch at all) rank last, together: an AUC of one half
    assert result["most recent contact"].auc.value == 0.5
    again = figures(measure_outcome("introduced", asks, SPAN, READ_AT, seed=1))
    assert again["random (seed 1)"].auc == result["random (seed 1)"].auc


def test_precision_shares_the_places_at_the_cut_among_tied_asks() -> None:
    scores = np.array([1.0, 0.0, 0.0, 0.0])
    labels = np.array([True, False, False, True])
    assert expected_precision_at(scores, labels, 1) == 1.0
    assert expected_precision_at(scores, labels, 2) == pytest.approx((1 + 1 / 3) / 2)
    assert expected_precision_at(scores[::-1].copy(), labels[::-1].copy(), 2) == pytest.approx((1 + 1 / 3) / 2)


def test_small_samples_say_insufficient_data() -> None:
    few = measure_outcome("introduced", scored([0.5] * 9, [True] * 4 + [False] * 5), SPAN, READ_AT, 0)
    assert few.insufficient and all(isinstance(r.auc, Insufficient) for r in few.rankings[1:])
    rare = measure_outcome("opportunity", scored([0.5] * 20, [True] * 2 + [False] * 18), SPAN, READ_AT, 0)
    assert rare.insufficient and "2 of 20 asks led to an opportunity" in rare.insufficient
    action = figures(rare)[ACTION].auc
    assert isinstance(action, Insufficient) and (action.n, action.minimum) == (2, 3)


def test_the_calibration_table_gives_rates_per_quintile_and_keeps_tied_asks_together() -> None:
    scores = [i / 50 for i in range(50)]
    table = calibration(scored(scores, [s >= 0.8 for s in scores]), SPAN, READ_AT)
    assert [(b.lower, b.upper, b.n) for b in table] == [(i / 5, (i + 1) / 5, 10) for i in range(5)]
    assert [b.rates["introduced"].value for b in table] == [0, 0, 0, 0, 1]
    top = table[-1].rates["introduced"]
    assert isinstance(top, Measured) and top.interval is not None and top.interval.method == "wilson"

    tied = calibration(scored([0.0] * 30 + [0.5] * 10, [False] * 40), SPAN, READ_AT)
    assert [(b.lower, b.upper, b.n, b.low, b.high) for b in tied] == [(0, 0.75, 30, 0, 0), (0.75, 1, 10, 0.5, 0.5)]


def test_periods_cover_the_span_without_overlap() -> None:
    cut = periods(Period(date(2026, 1, 1), date(2026, 3, 1)), 30)
    assert [(p.start, p.end) for p in cut] == [
        (date(2026, 1, 1), date(2026, 1, 30)),
        (date(2026, 1, 31), date(2026, 3, 1)),
    ]


# --- The command ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_replays_the_tiny_demo(cli: Callable[..., Result]) -> None:
    from referly.referrals.models import ReferralTransition

    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    printed = cli("evaluate", "ranking", "--from", "2024-01-01", "--to", "2026-10-31")
    assert printed.exit_code == 0, printed.output
    requested = ReferralTransition.objects.filter(to_stage="requested", at__lt=at("2026-11-01", 0))
    n = requested.count()
    assert f"{n} referral asks" in printed.output
    for name in ("ROC AUC", "Precision@5", RANDOM_EXPECTED, "random (seed 0)", "NPS only", "most recent contact"):
        assert name in printed.output

    result = json.loads(cli("evaluate", "ranking", "--from", "2024-01-01", "--to", "2026-10-31", "--json").output)
    assert result["asks"] == n == len(result["scored_asks"])
    introduced = ReferralTransition.objects.filter(
        referral__in=requested.values("referral"), to_stage__in=["introduced", "meeting", "opportunity", "lost"]
    )
    assert result["outcomes"]["introduced"]["positives"] == introduced.values("referral").distinct().count()
    for ask in result["scored_asks"]:
        assert ask["scored_as_of"] < ask["requested_at"]
    # Most demo asks stand on a tie recorded before them: the run scores their pair, listed or not.
    assert 0 < result["ranked"] + result["scored_pairs"] <= n
    assert all(a["action_score"] > 0 for a in result["scored_asks"] if a["action_rank"] is not None)

    few = cli("evaluate", "ranking", "--from", "2026-09-01", "--to", "2026-10-31")
    assert few.exit_code == 0
    assert "Insufficient data: " in few.output and "a figure needs at least 10 asks" in few.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "Invalid value for '--from'"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "--from 2026-03-01 is after --to 2026-02-01"),
        (["--from", "2026-01-01", "--to", "2026-02-01", "--step-days", "0"], "--step-days must be at least 1"),
    ],
)
def test_bad_dates_are_one_clear_error(cli: Callable[..., Result], args: list[str], message: str) -> None:
    result = cli("evaluate", "ranking", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
