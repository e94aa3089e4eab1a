"""Journeys held as columns, and the attribution models run over them: the same credits as
``referly.reports.attribution``, to the last bit, without one Python object per touch.

A pack's window holds hundreds of closed deals with hundreds of touches each. ``JourneyColumns`` keeps them as
arrays: one entry per touch (its channel and moment, in journey order, each journey's touches in time order) and
one per journey (where its touches start, whether it converted, its value). Every model adds each touch's credit
to its channel in the order ``referly.reports.attribution`` does (journey by journey, touch by touch), with the
same floating-point operations, so the credits are equal, not merely close; the tests check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from referly.errors import InvalidInput
from referly.reports.attribution import Credits, Journey, Measure, Touch, markov_credits

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class JourneyColumns:
    """Journeys as arrays. ``starts`` has one entry more than there are journeys: journey j's touches are
    ``starts[j]`` to ``starts[j + 1]`` (never empty)."""

    names: tuple[str, ...]
    """Channel names; ``channel`` holds indices into them."""
    channel: NDArray[np.int64]
    at: NDArray[np.int64]
    """When each touch happened, in microseconds since 1970-01-01 UTC."""
    starts: NDArray[np.int64]
    converted: NDArray[np.bool_]
    value: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.converted)

    @cached_property
    def lengths(self) -> NDArray[np.int64]:
        return np.diff(self.starts)

    @cached_property
    def position(self) -> NDArray[np.int64]:
        """Each touch's position in its journey (0 for the first)."""
        return np.arange(len(self.channel), dtype=np.int64) - np.repeat(self.starts[:-1], self.lengths)

    @cached_property
    def length(self) -> NDArray[np.int64]:
        """The length of each touch's journey."""
        return np.repeat(self.lengths, self.lengths)

    def journey(self, j: int) -> Journey:
        """Journey ``j`` as ``referly.reports.attribution`` takes it."""
        first, end = int(self.starts[j]), int(self.starts[j + 1])
        touches = tuple(
            Touch(self.names[c], EPOCH + us * MICROSECOND)
            for c, us in zip(self.channel[first:end].tolist(), self.at[first:end].tolist(), strict=True)
        )
        return Journey(touches, converted=bool(self.converted[j]), value=float(self.value[j]))

    @cached_property
    def first_seen(self) -> tuple[int, ...]:
        """Channel indices in the order they first appear, as ``referly.reports.attribution`` lists them."""
        if not len(self.channel):
            return ()
        found, first = np.unique(self.channel, return_index=True)
        return tuple(int(c) for c in found[np.argsort(first, kind="stable")])


def _worth(columns: JourneyColumns, measure: Measure) -> NDArray[np.float64]:
    if measure == "conversions":
        return columns.converted.astype(np.float64)
    return np.where(columns.converted, columns.value, 0.0)


def _per_touch(
    columns: JourneyColumns,
    measure: Measure,
    shares: Callable[[JourneyColumns, NDArray[np.bool_]], NDArray[np.float64]],
) -> Credits:
    """Credits when each converting journey's worth is split over its touches by ``shares``.

    ``shares`` gets the journeys that hand out credit (a mask) and returns the share of each of their touches,
    in order. ``np.add.at`` adds them one at a time in that order, as the loop over ``Journey`` objects does.
    """
    seen = columns.first_seen
    totals = np.zeros(len(columns.names))
    worth = _worth(columns, measure)
    paying = worth != 0.0
    if paying.any():
        touch_paying = np.repeat(paying, columns.lengths)
        touch_worth = np.repeat(worth, columns.lengths)[touch_paying]
        np.add.at(totals, columns.channel[touch_paying], touch_worth * shares(columns, paying))
    values = totals.tolist()
    return {columns.names[c]: values[c] for c in seen}


def _positions(columns: JourneyColumns, paying: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each paying touch's position in its journey and its journey's length."""
    touch_paying = np.repeat(paying, columns.lengths)
    return columns.position[touch_paying], columns.length[touch_paying]


def first_touch(columns: JourneyColumns, *, measure: Measure = "conversions") -> Credits:
    def shares(c: JourneyColumns, paying: NDArray[np.bool_]) -> NDArray[np.float64]:
        position, _ = _positions(c, paying)
        return np.where(position == 0, 1.0, 0.0)

    return _per_touch(columns, measure, shares)


def last_touch(columns: JourneyColumns, *, measure: Measure = "conversions") -> Credits:
    def shares(c: JourneyColumns, paying: NDArray[np.bool_]) -> NDArray[np.float64]:
        position, length = _positions(c, paying)
        return np.where(position == length - 1, 1.0, 0.0)

    return _per_touch(columns, measure, shares)


def linear(columns: JourneyColumns, *, measure: Measure = "conversions") -> Credits:
    def shares(c: JourneyColumns, paying: NDArray[np.bool_]) -> NDArray[np.float64]:
        _, length = _positions(c, paying)
        return 1.0 / length.astype(np.float64)

    return _per_touch(columns, measure, shares)


def time_decay(
    columns: JourneyColumns, *, half_life: timedelta = timedelta(days=7), measure: Measure = "conversions"
) -> Credits:
    """As ``referly.reports.attribution.time_decay``: each weight ``2 ** x`` and each journey's total by
    Python's own ``pow`` and ``sum``, the divisions by numpy (the same IEEE operations)."""
    seconds = half_life.total_seconds()
    if not seconds > 0:
        raise InvalidInput("the half-life must be positive", detail=f"got {half_life}")

    def shares(c: JourneyColumns, paying: NDArray[np.bool_]) -> NDArray[np.float64]:
        lengths = c.lengths
        touch_paying = np.repeat(paying, lengths)
        last = np.repeat(c.at[c.starts[1:] - 1], lengths)[touch_paying]
        # timedelta.total_seconds() is the whole microseconds over 10**6, correctly rounded; so is this
        exponents = -((last - c.at[touch_paying]).astype(np.float64) / 1e6) / seconds
        weights = [2.0**x for x in exponents.tolist()]
        bounds = np.concatenate(([0], np.cumsum(lengths[paying]))).tolist()
        totals = [sum(weights[a:b]) for a, b in pairwise(bounds)]
        found: NDArray[np.float64] = np.asarray(weights) / np.repeat(np.asarray(totals), lengths[paying])
        return found

    return _per_touch(columns, measure, shares)


def position_based(
    columns: JourneyColumns, *, first: float = 0.4, last: float = 0.4, measure: Measure = "conversions"
) -> Credits:
    if not (first >= 0 and last >= 0 and 0 < first + last <= 1):
        raise InvalidInput("position shares must be ≥ 0, not both 0, and add up to at most 1", detail=f"{first}/{last}")

    def shares(c: JourneyColumns, paying: NDArray[np.bool_]) -> NDArray[np.float64]:
        position, length = _positions(c, paying)
        middle = (1.0 - first - last) / np.maximum(length - 2, 1).astype(np.float64)
        found = np.where(position == 0, first, np.where(position == length - 1, last, middle))
        found = np.where(length == 2, np.where(position == 0, first / (first + last), last / (first + last)), found)
        return np.where(length == 1, 1.0, found)

    return _per_touch(columns, measure, shares)


def markov(columns: JourneyColumns, *, measure: Measure = "conversions") -> Credits:
    """As ``referly.reports.attribution.markov``: the same transition counts, then the same arithmetic."""
    seen = columns.first_seen
    names = sorted(columns.names[c] for c in seen)
    index = {name: i + 1 for i, name in enumerate(names)}  # 0 is start
    size = len(names) + 1
    state = np.zeros(len(columns.names), dtype=np.int64)
    for c in seen:
        state[c] = index[columns.names[c]]
    touch_state = state[columns.channel]
    opens = np.zeros(len(touch_state), dtype=bool)
    opens[columns.starts[:-1]] = True
    kept = opens.copy()
    kept[1:] |= touch_state[1:] != touch_state[:-1]  # consecutive repeats folded into one visit
    previous = np.zeros(len(touch_state), dtype=np.int64)
    previous[1:] = touch_state[:-1]
    # the state before a kept visit is start for a journey's first touch, else the touch just before it
    # (a repeat of the same channel is never kept, so the touch before is the previous visit)
    source = np.where(opens, 0, previous)[kept]
    moves = np.zeros((size, size))
    np.add.at(moves, (source, touch_state[kept]), 1.0)
    final = touch_state[columns.starts[1:] - 1]
    converts = np.zeros(size)
    drops = np.zeros(size)
    np.add.at(converts, final[columns.converted], 1.0)
    np.add.at(drops, final[~columns.converted], 1.0)
    total = sum(_worth(columns, measure).tolist())
    return markov_credits(index, moves, converts, drops, total).credits
