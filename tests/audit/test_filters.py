"""The trail's filter parser: any text typed in a filter is a filter or one clear refusal, never a crash."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referly.audit.queries import EventFilter, events, parse_filter
from referly.errors import InvalidInput

typed = st.text(max_size=60)


def parsed(values: dict[str, str]) -> EventFilter | InvalidInput:
    try:
        return parse_filter(values)
    except InvalidInput as exc:
        return exc


@given(kind=typed, actor=typed, since=typed, until=typed, q=typed)
def test_any_typed_filter_is_a_filter_or_an_invalid_input(
    kind: str, actor: str, since: str, until: str, q: str
) -> None:
    found = parsed({"kind": kind, "actor": actor, "since": since, "until": until, "q": q})
    if isinstance(found, InvalidInput):
        assert found.field in ("since", "until")
        return
    assert found.kind == kind.replace("\x00", "").strip()[:40] and "\x00" not in found.text + found.actor
    assert found.since is None or found.until is None or found.since <= found.until


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_every_iso_day_parses_to_itself(day: date) -> None:
    assert parse_filter({"since": day.isoformat(), "until": f" {day.isoformat()} "}) == EventFilter(
        since=day, until=day
    )


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=typed, actor=typed, q=typed)
def test_any_filter_runs_as_a_query(db: Any, kind: str, actor: str, q: str) -> None:
    list(
        events(EventFilter(kind=kind.replace("\x00", ""), actor=actor.replace("\x00", ""), text=q.replace("\x00", "")))
    )
