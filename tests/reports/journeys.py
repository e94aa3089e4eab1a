"""Journeys for the attribution tests: a hand-sized example and a hypothesis strategy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from referly.reports.attribution import Journey, Touch

START = datetime(2024, 1, 1, tzinfo=UTC)
CHANNELS = ("referral", "event", "outbound", "partner", "webinar")


def journey(*touches: tuple[str, float], converted: bool = True, value: float = 1.0) -> Journey:
    """A journey from (channel, day) pairs."""
    return Journey(tuple(Touch(c, START + timedelta(days=d)) for c, d in touches), converted, value)


@st.composite
def journeys(draw: st.DrawFn, min_size: int = 0) -> list[Journey]:
    """Up to 25 journeys of 1–6 touches over five channels, a few hours to weeks apart."""
    drawn = []
    for _ in range(draw(st.integers(min_size, 25))):
        channels = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6))
        gaps = draw(st.lists(st.integers(0, 30 * 24), min_size=len(channels), max_size=len(channels)))
        hours = [sum(gaps[: i + 1]) for i in range(len(gaps))]
        touches = tuple(Touch(c, START + timedelta(hours=h)) for c, h in zip(channels, hours, strict=True))
        converted = draw(st.booleans())
        value = draw(st.floats(0, 1e6, allow_nan=False)) if converted else 0.0
        drawn.append(Journey(touches, converted, value))
    return drawn
