"""Relationship strength: its range, what it rewards, and that folding new events in is exact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referly.scoring.config import StrengthSettings, load_settings
from referly.scoring.strength import SUMS, fold, reduce_events, strength_of

DAY = 86_400
SETTINGS = load_settings(stored=False).strength
NOW = 1_000 * DAY

pytestmark = pytest.mark.database_free  # tables in memory
touches = st.lists(
    st.tuples(st.integers(1, 5), st.integers(0, 900 * DAY)), min_size=1, max_size=40
)  # (kind, time) of one pair


def pair(events: list[tuple[int, int]]) -> pa.Table:
    return pa.table(
        {
            "a": np.ones(len(events), dtype=np.int64),
            "b": np.full(len(events), 2, dtype=np.int64),
            "kind": np.array([k for k, _ in events], dtype=np.int8),
            "ts": np.array([t for _, t in events], dtype=np.int64),
        }
    )


def strength(events: list[tuple[int, int]], as_of: int = NOW) -> float:
    return float(strength_of(reduce_events(pair(events), as_of, SETTINGS).table, SETTINGS).strength[0])


@given(touches)
def test_strength_is_between_0_and_1_inclusive(events: list[tuple[int, int]]) -> None:
    assert 0.0 <= strength(events) <= 1.0


@given(touches, st.integers(1, 60 * DAY))
def test_the_same_touches_made_more_recently_make_a_stronger_tie(events: list[tuple[int, int]], shift: int) -> None:
    later = [(k, t + shift) for k, t in events]  # touches end 100 days before NOW: all stay in the past
    assert strength(later) >= strength(events)


@given(touches)
def test_twice_the_same_touches_make_a_stronger_tie(events: list[tuple[int, int]]) -> None:
    doubled = events + [(k, t + 1) for k, t in events]
    assert strength(doubled) > strength(events)


def test_one_way_mail_counts_for_less_than_an_exchange_and_meetings_for_more() -> None:
    one_way = [(1, NOW - d * DAY) for d in range(1, 11)]
    exchange = [(1 if d % 2 else 2, NOW - d * DAY) for d in range(1, 11)]
    with_meetings = [(3 if d % 3 == 0 else 1 if d % 2 else 2, NOW - d * DAY) for d in range(1, 11)]
    assert strength(one_way) < strength(exchange) < strength(with_meetings)


def test_a_touch_loses_half_its_weight_per_half_life() -> None:
    table = reduce_events(pair([(1, NOW - 30 * DAY)]), NOW, StrengthSettings(half_life_days=30)).table
    assert abs(table.column("d_out")[0].as_py() - 0.5) < 1e-12


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400))
def test_folding_new_events_into_yesterdays_state_equals_a_full_recompute(seed: int, step_days: int) -> None:
    rng = np.random.default_rng(seed)
    n = 2_000
    events = pa.table(
        {
            "a": rng.integers(0, 30, n),
            "b": rng.integers(0, 30, n),
            "kind": rng.integers(1, 6, n).astype(np.int8),
            "ts": rng.integers(0, NOW, n),
        }
    )
    yesterday = NOW - step_days * DAY
    folded = fold(reduce_events(events, yesterday, SETTINGS), events, NOW, SETTINGS).table
    full = reduce_events(events, NOW, SETTINGS).table
    keys = [("a", "ascending"), ("b", "ascending")]
    folded, full = folded.sort_by(keys), full.sort_by(keys)
    assert folded.num_rows == full.num_rows
    for name in (*SUMS, "touches", "first_ts", "last_ts"):
        assert np.allclose(folded.column(name).to_numpy(), full.column(name).to_numpy(), rtol=1e-9, atol=1e-12), name
