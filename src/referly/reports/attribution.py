"""Multi-touch attribution: how the credit for won deals is shared among the channels that touched them.

A journey is the time-ordered touches ``(channel, at)`` that led to one opportunity, whether it converted (the
deal was won) and its value (e.g. the won amount).

Credit convention, the same for every model:

- Only converting journeys hand out credit. Each is worth 1 (``measure="conversions"``) or its value
  (``measure="value"``), so a model's credits add up to the number of converting journeys, or to their total
  value. Non-converting journeys get nothing; the Markov model still learns from them where journeys drop out.
- Credit goes to touches, then is summed per channel: a channel touched twice in a journey gets the share of
  both touches (linear over ``A, B, A``: A 2/3, B 1/3). This is the per-touch convention of
  ``marketing-attribution-models``; the Markov model is the exception, see below.
- Every channel seen in any journey is listed, with 0.0 when it earned nothing.

Models, for a converting journey with k touches ``t_1 ≤ … ≤ t_k``:

- first touch: touch 1 takes all.    last touch: touch k takes all.    linear: each touch 1/k.
- time decay: touch i weighs ``2^(−(T − t_i)/h)`` with half-life h, normalised over the journey. The reference T
  is the conversion time, but it cancels in the normalisation (every weight shares the factor ``2^(−(T − t_k)/h)``),
  so any T at or after the last touch gives the same split and journeys need no conversion time.
- position based (first share f = 0.4, last share l = 0.4): k ≥ 3 gives f to touch 1, l to touch k and
  ``(1 − f − l)/(k − 2)`` to each touch between; k = 2 has no middle, so the two touches split the whole in the
  ratio f : l (50/50 by default); k = 1 gives the single touch everything.
- Markov (first-order removal effect; Anderl, Becker, von Wangenheim & Schumann 2016, "Mapping the customer
  journey"): states ``start``, one per channel, and the absorbing ``conversion`` and ``null``. Every journey,
  converting or not, adds its transitions ``start → c_1 → … → c_k → conversion | null``; transition
  probabilities are the counts divided by their row totals. ``P`` is the probability of reaching ``conversion``
  from ``start``. Removing channel c sends every transition into c to ``null`` instead, giving ``P_−c``; the
  removal effect is ``RE_c = 1 − P_−c / P``. Channel c's credit is ``RE_c / Σ_d RE_d`` times the total
  conversions (or value). Consecutive touches of the same channel are merged: a self-loop does not change where
  the chain is absorbed, so the result is the same either way. Unlike the heuristic models this shares the
  total by channel, not journey by journey (``marketing-attribution-models`` re-splits each journey's value by
  the channels' shares; it has the same removal effects).

What attribution does not prove: every model is a rule for sharing credit among touches that were recorded,
not a causal estimate. Removing a channel's budget need not cost its credit; a Markov removal effect assumes the
next step depends only on the current channel; unrecorded touches get nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from referly.errors import InvalidInput

Measure = Literal["conversions", "value"]
Credits = dict[str, float]


@dataclass(frozen=True)
class Touch:
    channel: str
    at: datetime


@dataclass(frozen=True)
class Journey:
    """The touches of one opportunity in time order, whether it converted and what it was worth."""

    touches: tuple[Touch, ...]
    converted: bool
    value: float = 1.0

    def __post_init__(self) -> None:
        if not self.touches:
            raise InvalidInput("a journey needs at least one touch")
        if any(not t.channel for t in self.touches):
            raise InvalidInput("every touch needs a channel name")
        if any(b.at < a.at for a, b in pairwise(self.touches)):
            raise InvalidInput("a journey's touches must be in time order")
        if not (math.isfinite(self.value) and self.value >= 0):
            raise InvalidInput("a journey's value must be a finite number, not negative", detail=f"got {self.value}")

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(t.channel for t in self.touches)


def _worth(journey: Journey, measure: Measure) -> float:
    if not journey.converted:
        return 0.0
    return 1.0 if measure == "conversions" else journey.value


def _all_channels(journeys: Iterable[Journey]) -> Credits:
    return {channel: 0.0 for j in journeys for channel in j.channels}


def _per_touch(journeys: Sequence[Journey], measure: Measure, shares: Callable[[Journey], Sequence[float]]) -> Credits:
    """Credits when each converting journey's worth is split over its touches by ``shares`` (summing to 1)."""
    credits = _all_channels(journeys)
    for journey in journeys:
        worth = _worth(journey, measure)
        if worth == 0.0:
            continue
        for touch, share in zip(journey.touches, shares(journey), strict=True):
            credits[touch.channel] += worth * share
    return credits


def first_touch(journeys: Sequence[Journey], *, measure: Measure = "conversions") -> Credits:
    return _per_touch(journeys, measure, lambda j: [1.0] + [0.0] * (len(j.touches) - 1))


def last_touch(journeys: Sequence[Journey], *, measure: Measure = "conversions") -> Credits:
    return _per_touch(journeys, measure, lambda j: [0.0] * (len(j.touches) - 1) + [1.0])


def linear(journeys: Sequence[Journey], *, measure: Measure = "conversions") -> Credits:
    return _per_touch(journeys, measure, lambda j: [1.0 / len(j.touches)] * len(j.touches))


def time_decay(
    journeys: Sequence[Journey], *, half_life: timedelta = timedelta(days=7), measure: Measure = "conversions"
) -> Credits:
    """Touch i weighs ``2^(−(t_k − t_i)/half_life)``, normalised over its journey (see the module docstring)."""
    seconds = half_life.total_seconds()
    if not seconds > 0:
        raise InvalidInput("the half-life must be positive", detail=f"got {half_life}")

    def shares(journey: Journey) -> list[float]:
        last = journey.touches[-1].at
        weights = [2.0 ** (-(last - t.at).total_seconds() / seconds) for t in journey.touches]
        total = sum(weights)
        return [w / total for w in weights]

    return _per_touch(journeys, measure, shares)


def position_based(
    journeys: Sequence[Journey], *, first: float = 0.4, last: float = 0.4, measure: Measure = "conversions"
) -> Credits:
    """``first`` to touch 1, ``last`` to touch k, the rest evenly between; 1 and 2 touches as the module says."""
    if not (first >= 0 and last >= 0 and 0 < first + last <= 1):
        raise InvalidInput("position shares must be ≥ 0, not both 0, and add up to at most 1", detail=f"{first}/{last}")

    def shares(journey: Journey) -> list[float]:
        k = len(journey.touches)
        if k == 1:
            return [1.0]
        if k == 2:
            return [first / (first + last), last / (first + last)]
        return [first] + [(1.0 - first - last) / (k - 2)] * (k - 2) + [last]

    return _per_touch(journeys, measure, shares)


@dataclass(frozen=True)
class MarkovAttribution:
    """Markov credits with what produced them: ``P`` and each channel's removal effect."""

    credits: Credits
    removal_effects: dict[str, float]
    conversion_probability: float


def _merged(channels: Sequence[str]) -> list[str]:
    """Consecutive repeats of a channel folded into one state visit."""
    return [c for i, c in enumerate(channels) if i == 0 or c != channels[i - 1]]


def markov(journeys: Sequence[Journey], *, measure: Measure = "conversions") -> MarkovAttribution:
    """First-order Markov removal-effect attribution (formulas in the module docstring)."""
    names = sorted(_all_channels(journeys))
    index = {name: i + 1 for i, name in enumerate(names)}  # 0 is start
    size = len(names) + 1
    moves = np.zeros((size, size))  # transitions between start and channels
    converts = np.zeros(size)
    drops = np.zeros(size)
    for journey in journeys:
        path = [0] + [index[c] for c in _merged(journey.channels)]
        for a, b in pairwise(path):
            moves[a, b] += 1.0
        (converts if journey.converted else drops)[path[-1]] += 1.0
    return markov_credits(index, moves, converts, drops, sum(_worth(j, measure) for j in journeys))


def markov_credits(
    index: dict[str, int],
    moves: NDArray[np.float64],
    converts: NDArray[np.float64],
    drops: NDArray[np.float64],
    total: float,
) -> MarkovAttribution:
    """The removal effects and credits from the transition counts: ``moves[a, b]`` from state a to b (0 is start,
    ``index`` numbers the channels from 1), ending in conversion or null from each state; ``total`` is shared."""
    size = len(index) + 1
    leaving = moves.sum(axis=1) + converts + drops
    leaving[leaving == 0] = 1.0  # a state with no exits is never reached
    q = moves / leaving[:, None]
    r = converts / leaving

    def conversion_probability(q_matrix: NDArray[np.float64]) -> float:
        # h = Q·h + r: the absorption probability into conversion from each transient state.
        return float(np.linalg.solve(np.eye(size) - q_matrix, r)[0])

    base = conversion_probability(q)
    effects: dict[str, float] = {}
    for name, i in index.items():
        removed = q.copy()
        removed[:, i] = 0.0  # whatever went to the channel now goes to null
        effects[name] = max(0.0, 1.0 - conversion_probability(removed) / base) if base > 0 else 0.0
    effect_sum = sum(effects.values())
    credits = {name: (total * e / effect_sum if effect_sum > 0 else 0.0) for name, e in effects.items()}
    return MarkovAttribution(credits, effects, base)
