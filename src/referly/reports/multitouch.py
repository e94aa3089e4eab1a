"""The ``multi_touch`` metric: the six attribution models run over the journeys of the deals closed in the window.

One row per channel, two columns per model: the share of the won deals' credit the model gives the channel, and
that credit in won deals. Every figure is measured over the won journeys (``n``), or "insufficient data" below the
minimum. The journeys come from ``referly.reports.journeys``; the models from ``referly.reports.attribution``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from referly.reports import journey_columns as columnar
from referly.reports.attribution import (
    Credits,
    Journey,
    first_touch,
    last_touch,
    linear,
    markov,
    position_based,
    time_decay,
)
from referly.reports.journey_columns import JourneyColumns
from referly.reports.journeys import deal_touches
from referly.reports.queries import Records
from referly.reports.tables import Cell, Column, Row, Table, estimate

HALF_LIFE = timedelta(days=7)
FIRST_SHARE = 0.4
LAST_SHARE = 0.4

MODELS: tuple[tuple[str, str, Callable[[Sequence[Journey]], Credits]], ...] = (
    ("first", "First touch", first_touch),
    ("last", "Last touch", last_touch),
    ("linear", "Linear", linear),
    ("time_decay", "Time decay", lambda js: time_decay(js, half_life=HALF_LIFE)),
    ("position", "Position based", lambda js: position_based(js, first=FIRST_SHARE, last=LAST_SHARE)),
    ("markov", "Markov", lambda js: markov(js).credits),
)
COLUMN_MODELS: dict[str, Callable[[JourneyColumns], Credits]] = {
    "first": columnar.first_touch,
    "last": columnar.last_touch,
    "linear": columnar.linear,
    "time_decay": lambda c: columnar.time_decay(c, half_life=HALF_LIFE),
    "position": lambda c: columnar.position_based(c, first=FIRST_SHARE, last=LAST_SHARE),
    "markov": columnar.markov,
}
"""The same models over journeys held as columns: the same credits, to the last bit."""


def model_credits(journeys: Sequence[Journey]) -> dict[str, Credits]:
    """Each model's credits by channel, in won deals, by model key."""
    return {key: run(journeys) for key, _, run in MODELS}


def column_credits(columns: JourneyColumns) -> dict[str, Credits]:
    """``model_credits`` over journeys held as columns."""
    return {key: COLUMN_MODELS[key](columns) for key, _, _ in MODELS}


def convention(won: int, lost: int, without_touches: int) -> str:
    middle = round((1 - FIRST_SHARE - LAST_SHARE) * 100)
    return (
        f"Credit is shared over the {won} won journeys only; the {lost} lost ones earn nothing (Markov still learns "
        "where they drop out). First touch, last touch, linear, time decay (half-life "
        f"{HALF_LIFE.days} days) and position based ({FIRST_SHARE:.0%}/{middle}%/{LAST_SHARE:.0%}) credit each "
        "touch and add up by channel; Markov (removal effect) shares the total by channel. "
        f"Closed deals with no recorded touch, left out: {without_touches}. Recorded touches only; not a causal "
        "estimate."
    )


def multi_touch(records: Records, minimum: int) -> Table:
    """Per channel, each model's share of the won deals' credit and the credit itself (in won deals)."""
    scope = records.scope
    period = scope.window_period
    found = deal_touches(records)
    journeys = len(found.columns)
    won = int(found.columns.converted.sum())
    lost = journeys - won
    credits = column_credits(found.columns) if journeys else {}
    channels = sorted(credits.get("linear", {}), key=lambda c: (-credits["linear"][c], c))
    rows = []
    for channel in channels:
        cells: dict[str, Cell] = {}
        for key, _, _ in MODELS:
            credit = credits[key][channel]
            share = credit / won if won else 0.0
            cells[f"{key}_share"] = estimate(share, won, period, scope.as_of, minimum, None, "share")
            cells[key] = estimate(credit, won, period, scope.as_of, minimum, None, "count")
        rows.append(Row(channel, cells))
    columns = tuple(
        column
        for key, label, _ in MODELS
        for column in (Column(f"{key}_share", f"{label}: share", "share"), Column(key, f"{label}: won deals", "count"))
    )
    extra = {
        "journeys": journeys,
        "won": won,
        "lost": lost,
        "without_touches": found.without_touches,
        "half_life_days": HALF_LIFE.days,
        "position_shares": [FIRST_SHARE, round(1 - FIRST_SHARE - LAST_SHARE, 10), LAST_SHARE],
    }
    note = convention(won, lost, found.without_touches) if journeys else ""
    return Table(columns, tuple(rows), period, note=note, extra=extra)
