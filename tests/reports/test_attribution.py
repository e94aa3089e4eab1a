"""Attribution models: worked examples by hand, and what must hold for any set of journeys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import InvalidInput
from referly.reports.attribution import (
    Credits,
    Journey,
    Measure,
    Touch,
    first_touch,
    last_touch,
    linear,
    markov,
    position_based,
    time_decay,
)
from tests.reports.journeys import CHANNELS, journey, journeys

WEEK = timedelta(days=7)

Model = Callable[..., Credits]
MODELS: dict[str, Model] = {
    "first touch": first_touch,
    "last touch": last_touch,
    "linear": linear,
    "time decay": time_decay,
    "position based": position_based,
    "markov": lambda js, **kw: markov(js, **kw).credits,
}

# A won deal worth 100 touched by referral, event, referral a week apart; a won deal worth 50 from one event;
# a lost deal touched by referral then outbound.
EXAMPLE = [
    journey(("referral", 0), ("event", 7), ("referral", 14), value=100.0),
    journey(("event", 0), value=50.0),
    journey(("referral", 0), ("outbound", 3), converted=False, value=80.0),
]


def test_first_and_last_touch_credit_one_channel_per_won_deal() -> None:
    assert first_touch(EXAMPLE) == {"referral": 1.0, "event": 1.0, "outbound": 0.0}
    assert last_touch(EXAMPLE, measure="value") == {"referral": 100.0, "event": 50.0, "outbound": 0.0}


def test_linear_credits_each_touch_so_a_repeated_channel_counts_twice() -> None:
    assert linear(EXAMPLE) == pytest.approx({"referral": 2 / 3, "event": 1 / 3 + 1, "outbound": 0.0})
    by_value = linear(EXAMPLE, measure="value")
    assert by_value == pytest.approx({"referral": 200 / 3, "event": 100 / 3 + 50, "outbound": 0.0})


def test_time_decay_halves_a_touch_per_half_life_before_the_last_one() -> None:
    # Weights 2^-2, 2^-1, 1 for days 0, 7, 14 with a 7-day half-life: referral 1.25/1.75, event 0.5/1.75.
    assert time_decay(EXAMPLE, half_life=WEEK) == pytest.approx({"referral": 5 / 7, "event": 2 / 7 + 1, "outbound": 0})


def test_time_decay_goes_from_linear_to_last_touch_as_the_half_life_shrinks() -> None:
    assert time_decay(EXAMPLE, half_life=timedelta(days=10_000)) == pytest.approx(linear(EXAMPLE), abs=1e-3)
    assert time_decay(EXAMPLE, half_life=timedelta(hours=1)) == pytest.approx(last_touch(EXAMPLE), abs=1e-12)


def test_time_decay_does_not_depend_on_when_the_journey_happened() -> None:
    shifted = [
        Journey(tuple(Touch(t.channel, t.at + timedelta(days=400)) for t in j.touches), j.converted, j.value)
        for j in EXAMPLE
    ]
    assert time_decay(shifted) == pytest.approx(time_decay(EXAMPLE), abs=1e-12)


def test_position_based_gives_40_20_40_and_documented_short_journey_splits() -> None:
    assert position_based(EXAMPLE) == pytest.approx({"referral": 0.8, "event": 0.2 + 1.0, "outbound": 0.0})
    two = [journey(("referral", 0), ("event", 1))]
    assert position_based(two) == pytest.approx({"referral": 0.5, "event": 0.5})
    assert position_based(two, first=0.6, last=0.2) == pytest.approx({"referral": 0.75, "event": 0.25})
    five = [journey(("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4))]
    assert position_based(five) == pytest.approx({"a": 0.4, "b": 0.2 / 3, "c": 0.2 / 3, "d": 0.2 / 3, "e": 0.4})


def test_markov_removal_effect_on_a_chain_small_enough_to_solve_by_hand() -> None:
    """A → B → won, A → lost, B → won. start→A 2/3, start→B 1/3, A→B 1/2, A→null 1/2, B→conversion 1.
    P = 2/3·1/2 + 1/3·1 = 2/3. Without A: P = 1/3, RE_A = 1/2. Without B: P = 0, RE_B = 1.
    Two conversions shared 1/2 : 1 → A 2/3, B 4/3.
    """
    result = markov([journey(("A", 0), ("B", 1)), journey(("A", 0), converted=False), journey(("B", 0))])
    assert result.conversion_probability == pytest.approx(2 / 3)
    assert result.removal_effects == pytest.approx({"A": 0.5, "B": 1.0})
    assert result.credits == pytest.approx({"A": 2 / 3, "B": 4 / 3})


def test_markov_with_no_conversion_gives_no_credit() -> None:
    result = markov([journey(("A", 0), converted=False)])
    assert result.credits == {"A": 0.0} and result.conversion_probability == 0.0


def test_no_journeys_give_no_credits() -> None:
    assert all(model([]) == {} for model in MODELS.values())


@pytest.mark.parametrize(
    "build",
    [
        lambda: Journey((), True),
        lambda: journey(("referral", 3), ("event", 1)),
        lambda: journey(("", 0)),
        lambda: journey(("referral", 0), value=-5.0),
        lambda: journey(("referral", 0), value=float("nan")),
    ],
    ids=["no touches", "out of order", "no channel", "negative value", "nan value"],
)
def test_malformed_journeys_are_refused(build: Callable[[], Journey]) -> None:
    with pytest.raises(InvalidInput):
        build()


def test_bad_model_settings_are_refused() -> None:
    with pytest.raises(InvalidInput):
        time_decay(EXAMPLE, half_life=timedelta(0))
    with pytest.raises(InvalidInput):
        position_based(EXAMPLE, first=0.7, last=0.7)


def total(js: list[Journey], measure: Measure) -> float:
    return sum((1.0 if measure == "conversions" else j.value) for j in js if j.converted)


@pytest.mark.parametrize("name", MODELS)
@given(js=journeys(), measure=st.sampled_from(["conversions", "value"]))
def test_credits_are_non_negative_and_add_up_to_the_total(name: str, js: list[Journey], measure: Measure) -> None:
    credits = MODELS[name](js, measure=measure)
    assert set(credits) == {t.channel for j in js for t in j.touches}
    assert all(c >= 0.0 for c in credits.values())
    assert sum(credits.values()) == pytest.approx(total(js, measure), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", MODELS)
@given(js=journeys(), order=st.permutations(CHANNELS))
def test_credits_follow_a_channel_when_it_is_renamed(name: str, js: list[Journey], order: list[str]) -> None:
    rename = dict(zip(CHANNELS, (f"renamed-{c}" for c in order), strict=True))
    renamed = [Journey(tuple(Touch(rename[t.channel], t.at) for t in j.touches), j.converted, j.value) for j in js]
    before, after = MODELS[name](js), MODELS[name](renamed)
    assert after == pytest.approx({rename[c]: v for c, v in before.items()}, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", ["first touch", "last touch", "linear", "time decay", "position based"])
@given(js=journeys())
def test_lost_deals_change_no_heuristic_credit(name: str, js: list[Journey]) -> None:
    won = [j for j in js if j.converted]
    with_lost = {c: v for c, v in MODELS[name](js).items() if v > 0}
    assert with_lost == pytest.approx({c: v for c, v in MODELS[name](won).items() if v > 0})


@given(js=journeys(min_size=1), at=st.integers(0, 5))
def test_markov_ignores_a_channel_repeating_itself(js: list[Journey], at: int) -> None:
    """Touching the same channel twice in a row adds a self-loop, which changes no absorption probability."""
    j = js[0]
    i = min(at, len(j.touches) - 1)
    doubled = Journey((*j.touches[: i + 1], *j.touches[i:]), j.converted, j.value)
    assert markov([doubled, *js[1:]]).credits == pytest.approx(markov(js).credits, rel=1e-9, abs=1e-12)


@given(js=journeys(min_size=1))
def test_markov_conversion_probability_is_a_probability(js: list[Journey]) -> None:
    result = markov(js)
    assert 0.0 <= result.conversion_probability <= 1.0 + 1e-12
    assert all(0.0 <= e <= 1.0 + 1e-12 for e in result.removal_effects.values())
    if not any(j.converted for j in js):
        assert result.conversion_probability == 0.0


def test_markov_learns_from_lost_deals_where_heuristics_ignore_them() -> None:
    """Won: A → B and B → A; lost: B → A, ending after A. RE_A = 2/3 and RE_B = 5/6 (P = 2/3), so the lost
    deal moves credit from A, where it stopped, to B; linear credit does not move.
    """
    won = [journey(("A", 0), ("B", 1)), journey(("B", 0), ("A", 1))]
    with_lost = [*won, journey(("B", 0), ("A", 1), converted=False)]
    assert markov(won).credits == pytest.approx({"A": 1.0, "B": 1.0})
    assert markov(with_lost).credits == pytest.approx({"A": 8 / 9, "B": 10 / 9})
    assert linear(with_lost) == linear(won)
