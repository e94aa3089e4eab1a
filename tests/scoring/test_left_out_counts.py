"""What a run leaves out, counted over whole columns, agrees with the rule read one candidate at a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.scoring.actions import _not_chosen, choose
from referly.scoring.sponsors import MISSING_WORDS, missing_evidence

pytestmark = pytest.mark.database_free

candidates = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 15)), max_size=80)


@given(candidates, st.integers(1, 4))
def test_each_candidate_passed_over_is_counted_once_under_its_reason(pairs: list[tuple[int, int]], cap: int) -> None:
    sponsors = np.array([s for s, _ in pairs], dtype=np.int64)
    targets = np.array([t for _, t in pairs], dtype=np.int64)
    picked = np.asarray(choose(sponsors, targets, cap), dtype=np.int64)
    taken_before, full = 0, 0
    chosen_at = {int(targets[i]): int(i) for i in picked}
    for i, target in enumerate(targets.tolist()):
        if i in chosen_at.values():
            continue
        if chosen_at.get(target, len(pairs)) < i:
            taken_before += 1
        else:
            full += 1
    counted = _not_chosen(targets, picked)
    assert counted == {"target_taken": taken_before, "per_sponsor_cap": full}
    assert sum(counted.values()) + picked.size == len(pairs)


maybe = st.one_of(st.none(), st.booleans())
sponsor_rows = st.lists(
    st.fixed_dictionaries(
        {
            "last_nps": st.one_of(st.none(), st.integers(0, 10)),
            "avg_nps": st.one_of(st.none(), st.floats(0, 10)),
            "touched": st.booleans(),
            "activity_only": maybe,
            "no_client_day": st.booleans(),
            "own_success": maybe,
            "account_success": maybe,
            "paths": st.integers(0, 3),
        }
    ),
    max_size=30,
)


@given(sponsor_rows)
def test_the_missing_evidence_of_each_sponsor_is_named_in_order(rows: list[dict[str, object]]) -> None:
    schema = pa.schema(
        [
            ("last_nps", pa.int64()),
            ("avg_nps", pa.float64()),
            ("touched", pa.bool_()),
            ("activity_only", pa.bool_()),
            ("no_client_day", pa.bool_()),
            ("own_success", pa.bool_()),
            ("account_success", pa.bool_()),
            ("paths", pa.int64()),
        ]
    )
    expected = []
    for r in rows:
        words = []
        if r["last_nps"] is None and r["avg_nps"] is None:
            words.append("no NPS")
        if not r["touched"]:
            words.append("no interactions: no proximity to our team")
        elif r["activity_only"]:
            words.append("no interactions: proximity from CRM activity dates only")
        if r["no_client_day"]:
            words.append("no client-since date or won deal: tenure unknown")
        if not (r["own_success"] or r["account_success"]):
            words.append("no measured success")
        if not r["paths"]:
            words.append("no warm path to a prospect")
        assert all(w in MISSING_WORDS for w in words)
        expected.append(words)
    assert missing_evidence(pa.Table.from_pylist(rows, schema=schema)).to_pylist() == expected
