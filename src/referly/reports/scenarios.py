"""The scenario planner: how many asks a month it takes to reach the referral goal, *if* the assumptions hold.

Steady state, per month, with ``g`` the goal share of new pipeline, ``o`` the new pipeline from other sources,
``s`` the average referral opportunity, ``p₁`` the share of asks that lead to an introduction and ``p₂`` the
share of introductions that become an opportunity:

    referral pipeline needed   r = g·o / (1 − g)        (so that r / (r + o) = g)
    opportunities needed         = r / s
    introductions needed         = r / (s·p₂)
    asks needed                  = r / (s·p₂·p₁)
    share at the current pace  a·p₁·p₂·s / (a·p₁·p₂·s + o),  a = asks a month now

Each input is measured from the records where there is enough data, stated by the user, or a planning default
(a round number, not a benchmark); every output is a ``Scenario`` figure carrying all of them as its assumptions.
It ignores the weeks between an ask and an opportunity, seasonality, and any effect more asks have on their
own success rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from referly.errors import InvalidInput
from referly.referrals.models import AskKind
from referly.reports.deals import REFERRAL
from referly.reports.evidence import Scenario
from referly.reports.funnel import step
from referly.reports.queries import Records

Origin = Literal["measured", "stated", "default"]
DEFAULT_ASK_TO_INTRO = 0.30
DEFAULT_INTRO_TO_OPPORTUNITY = 0.30


@dataclass(frozen=True)
class Assumption:
    """One input of the planner: its value, where it comes from, and a sentence saying so."""

    key: str
    value: float
    origin: Origin
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "value": self.value, "origin": self.origin, "text": self.text}


@dataclass(frozen=True)
class Inputs:
    goal_share: Assumption
    other_pipeline: Assumption | None
    deal_size: Assumption | None
    ask_to_intro: Assumption
    intro_to_opportunity: Assumption
    asks_now: Assumption | None

    def all(self) -> list[Assumption]:
        found = [
            self.goal_share,
            self.other_pipeline,
            self.deal_size,
            self.ask_to_intro,
            self.intro_to_opportunity,
            self.asks_now,
        ]
        return [a for a in found if a is not None]


def _share(text: str, value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise InvalidInput(f"{text} must be above 0 and at most 1, not {value}")
    return value


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def stated(key: str, value: float, text: str) -> Assumption:
    return Assumption(key, value, "stated", f"{text} (stated)")


def measured_inputs(
    records: Records,
    goal_share: float,
    minimum: int,
    *,
    other_pipeline: float | None = None,
    deal_size: float | None = None,
    ask_to_intro: float | None = None,
    intro_to_opportunity: float | None = None,
) -> Inputs:
    """The planner's inputs: stated values where given, else measured in the window, else planning defaults."""
    scope = records.scope
    period = scope.window_period
    months = scope.window_months
    span = f"{period.start} to {period.end}"
    cur = records.currency
    goal = Assumption(
        "goal_share",
        _share("the goal share", goal_share),
        "stated",
        f"goal: {goal_share:.0%} of new pipeline from referrals",
    )
    if goal_share >= 1.0:
        raise InvalidInput("the goal share must be below 1: referrals cannot be all of the new pipeline")

    created = [d for d in records.deals if d.amount is not None and period.start <= d.created_on <= period.end]
    other: Assumption | None
    if other_pipeline is not None:
        if other_pipeline <= 0:
            raise InvalidInput(f"the other sources' pipeline must be above 0, not {other_pipeline}")
        other = stated(
            "other_pipeline", other_pipeline, f"new pipeline from other sources: {_money(other_pipeline, cur)} a month"
        )
    else:
        others = [d.amount or 0.0 for d in created if d.source != REFERRAL]
        value = sum(others) / months
        other = (
            Assumption(
                "other_pipeline",
                value,
                "measured",
                f"new pipeline from other sources: {_money(value, cur)} a month, as in {span} "
                f"(measured: {len(others)} opportunities)",
            )
            if value > 0
            else None
        )

    size: Assumption | None
    if deal_size is not None:
        if deal_size <= 0:
            raise InvalidInput(f"the deal size must be above 0, not {deal_size}")
        size = stated("deal_size", deal_size, f"average referral opportunity: {_money(deal_size, cur)}")
    else:
        referral = [d.amount or 0.0 for d in created if d.source == REFERRAL]
        everyone = [d.amount or 0.0 for d in created]
        if len(referral) >= minimum:
            value = sum(referral) / len(referral)
            size = Assumption(
                "deal_size",
                value,
                "measured",
                f"average referral opportunity: {_money(value, cur)} (measured: n = {len(referral)}, {span})",
            )
        elif len(everyone) >= minimum:
            value = sum(everyone) / len(everyone)
            size = Assumption(
                "deal_size",
                value,
                "default",
                f"average referral opportunity: {_money(value, cur)}, assumed equal to the average new opportunity "
                f"of every source (measured: n = {len(everyone)}, {span}; too few referral opportunities: "
                f"{len(referral)} < {minimum})",
            )
        else:
            size = None

    def rate(key: str, given: float | None, start: str, end: str, default: float, words: str) -> Assumption:
        if given is not None:
            return stated(key, _share(words, given), f"{words}: {given:.0%}")
        found = step(records, start, end)
        if found.entered >= minimum:
            value = found.moved_on / found.entered
            return Assumption(
                key,
                value,
                "measured",
                f"{words}: {value:.0%} (measured: {found.moved_on} of {found.entered}, {span})",
            )
        return Assumption(
            key,
            default,
            "default",
            f"{words}: {default:.0%}, a planning default (insufficient data: n = {found.entered} < {minimum})",
        )

    asks = sum(1 for a in records.asks if a.kind == AskKind.REFERRAL) / months
    return Inputs(
        goal,
        other,
        size,
        rate(
            "ask_to_intro",
            ask_to_intro,
            "requested",
            "introduced",
            DEFAULT_ASK_TO_INTRO,
            "asks that lead to an introduction",
        ),
        rate(
            "intro_to_opportunity",
            intro_to_opportunity,
            "introduced",
            "opportunity",
            DEFAULT_INTRO_TO_OPPORTUNITY,
            "introductions that become an opportunity",
        ),
        Assumption("asks_now", asks, "measured", f"referral asks now: {asks:.1f} a month (measured, {span})"),
    )


@dataclass(frozen=True)
class Plan:
    """The planner's answer: scenario figures by key, the assumptions behind all of them, what is missing."""

    figures: dict[str, Scenario]
    assumptions: tuple[Assumption, ...]
    missing: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "label": "scenario",
            "figures": {k: {"title": TITLES[k], **f.as_dict()} for k, f in self.figures.items()},
            "assumptions": [a.as_dict() for a in self.assumptions],
            "missing": list(self.missing),
            "caveat": CAVEAT,
        }


TITLES = {
    "referral_pipeline": "Referral pipeline needed a month",
    "opportunities": "Referral opportunities needed a month",
    "introductions": "Introductions needed a month",
    "asks": "Referral asks needed a month",
    "share_at_current_pace": "Referral share of new pipeline at the current pace of asks",
}
CAVEAT = (
    "Steady state: it ignores the weeks between an ask and an opportunity, seasonality, and any change in the "
    "rates as more asks are made."
)


def plan(inputs: Inputs) -> Plan:
    """Asks a month needed to reach the goal share, and the share the current pace leads to (see the module)."""
    assumptions = tuple(inputs.all())
    texts = (*tuple(a.text for a in assumptions), CAVEAT)
    missing = []
    if inputs.other_pipeline is None:
        missing.append("no new pipeline from other sources in the window: state it with --other-pipeline")
    if inputs.deal_size is None:
        missing.append("too few opportunities to measure a deal size: state it with --deal-size")
    if missing:
        return Plan({}, assumptions, tuple(missing))
    assert inputs.other_pipeline is not None and inputs.deal_size is not None
    g, o, s = inputs.goal_share.value, inputs.other_pipeline.value, inputs.deal_size.value
    p1, p2 = inputs.ask_to_intro.value, inputs.intro_to_opportunity.value
    needed = g * o / (1.0 - g)
    figures = {
        "referral_pipeline": Scenario(needed, texts, "amount"),
        "opportunities": Scenario(needed / s, texts, "count"),
        "introductions": Scenario(needed / (s * p2), texts, "count"),
        "asks": Scenario(needed / (s * p2 * p1), texts, "count"),
    }
    if inputs.asks_now is not None:
        pace = inputs.asks_now.value * p1 * p2 * s
        figures["share_at_current_pace"] = Scenario(pace / (pace + o), texts, "share")
    return Plan(figures, assumptions, ())
