"""ICP, moments and gates on hand-made tables, with the values worked out by hand."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.scoring.actions import choose
from referly.scoring.config import Criterion, GateSettings, IcpSettings, MomentRule
from referly.scoring.context import DAY, Inputs, engine
from referly.scoring.gates import gate_reasons
from referly.scoring.icp import icp_fit, meets
from referly.scoring.moments import best_moments
from referly.scoring.paths import path_ties_sql, warm_paths

TODAY = 20_000  # a day number


def inputs(signals: list[dict[str, Any]] = (), asks: list[dict[str, Any]] = (), **contact: Any) -> Inputs:  # type: ignore[assignment]
    empty = pa.table({"x": pa.array([], pa.int64())})
    person = {
        "id": 1,
        "account_id": 10,
        "first_name": "Jane",
        "last_name": "Doe",
        "title": "",
        "seniority": "vp",
        "role": "champion",
        "do_not_contact": False,
        "opted_out": False,
        **contact,
    }
    signal_schema = pa.schema(
        [
            ("account_id", pa.int64()),
            ("contact_id", pa.int64()),
            ("kind", pa.string()),
            ("day", pa.int64()),
            ("nps_score", pa.int64()),
            ("detail", pa.string()),
            ("resolved_day", pa.int64()),
        ]
    )
    ask_schema = pa.schema(
        [
            ("contact_id", pa.int64()),
            ("account_id", pa.int64()),
            ("asked_ts", pa.int64()),
            ("outcome", pa.string()),
            ("outcome_ts", pa.int64()),
        ]
    )
    full = [
        {"contact_id": None, "nps_score": None, "detail": "", "resolved_day": None, "account_id": 10, **s}
        for s in signals
    ]
    return Inputs(
        events=empty,
        teammates=empty,
        accounts=empty,
        connections=empty,
        opportunities=empty,
        referrals=empty,
        contacts=pa.Table.from_pylist([person]),
        signals=pa.Table.from_pylist(full, schema=signal_schema),
        asks=pa.Table.from_pylist([{"account_id": 10, "outcome_ts": None, **a} for a in asks], schema=ask_schema),
    )


ICP_TEST = IcpSettings(
    (
        Criterion("industry", "industry", 60, any_of=("Software", "Café Services")),
        Criterion("size", "employees", 40, between=(50, 500)),
        Criterion("age", "custom.founded", 0, between=(1990, 2020)),
        Criterion("region", "custom.region", 10, any_of=("EMEA",)),
        Criterion("unknown field", "headcount", 5, between=(1, 2)),
    ),
    70,
    45,
)


def fit_of(accounts: list[dict[str, Any]], settings: IcpSettings = ICP_TEST) -> list[dict[str, Any]]:
    columns = {
        "id": pa.array(range(1, len(accounts) + 1), pa.int64()),
        "industry": pa.array([a.get("industry") for a in accounts], pa.string()),
        "employees": pa.array([a.get("employees") for a in accounts], pa.int64()),
        "annual_revenue": pa.array([a.get("annual_revenue") for a in accounts], pa.float64()),
        "custom": pa.array([a.get("custom") for a in accounts], pa.string()),
    }
    con = duckdb.connect()
    con.register("accounts", pa.table(columns))
    rows = icp_fit(con, settings).to_pylist()
    return [{**r, "criteria": json.loads(r["criteria"])} for r in rows]


def test_icp_criteria_are_met_missed_or_unknown_and_weigh_into_tiers() -> None:
    fit = fit_of(
        [
            {"industry": "software", "employees": 120, "custom": '{"founded": 2001, "region": "emea"}'},
            {"industry": "Retail", "employees": 120},
            {"industry": "Software", "employees": None, "custom": '{"founded": "long ago", "region": ""}'},
            {"industry": "CAFÉ SERVICES", "employees": 500, "custom": ""},
        ]
    )
    assert [round(f["fit"], 6) for f in fit] == [
        round(100 * 110 / 115, 6),
        round(100 * 40 / 115, 6),
        round(100 * 60 / 115, 6),
        round(100 * 100 / 115, 6),
    ]
    assert [f["tier"] for f in fit] == ["A", "C", "B", "A"]
    assert [c["met"] for c in fit[0]["criteria"]] == [True, True, True, True, None]
    assert [c["met"] for c in fit[2]["criteria"]] == [True, None, None, None, None]
    assert fit[0]["criteria_met"] == ["industry", "size", "age", "region"]
    assert fit[0]["criteria"][2] == {"name": "age", "met": True, "value": 2001, "weight": 0.0}
    assert meets(Criterion("n", "x", 1, between=(1, 2)), "not a number") is None


values = st.one_of(
    st.none(),
    st.just(""),
    st.integers(-10, 3_000),
    st.floats(1989.0, 2021.0),
    st.sampled_from(["Software", "SOFTWARE", "retail", "Café services", "emea", "EMEA ", "120", "1995", "1989.6", "x"]),
)


@given(st.lists(st.tuples(values, values, values, values), max_size=12))
def test_icp_fit_applies_the_rule_of_one_value_to_every_account(rows: list[tuple[Any, Any, Any, Any]]) -> None:
    accounts = []
    for industry, employees, founded, region in rows:
        custom = {k: v for k, v in (("founded", founded), ("region", region)) if v is not None}
        accounts.append(
            {
                "industry": None if industry is None else str(industry),
                "employees": employees if isinstance(employees, int) else None,
                "custom": json.dumps(custom),
            }
        )
    fit = fit_of(accounts)
    total = sum(c.weight for c in ICP_TEST.criteria)
    for account, found in zip(accounts, fit, strict=True):
        custom = json.loads(account["custom"])
        expected = [
            meets(
                c,
                custom.get(c.field.removeprefix("custom.")) if c.field.startswith("custom.") else account.get(c.field),
            )
            for c in ICP_TEST.criteria
        ]
        assert [c["met"] for c in found["criteria"]] == expected
        score = 100 * sum(c.weight for c, m in zip(ICP_TEST.criteria, expected, strict=True) if m) / total
        assert found["fit"] == pytest.approx(score, abs=1e-9)
        assert found["tier"] == ("A" if score >= 70 else "B" if score >= 45 else "C")
        assert 0 <= found["fit"] <= 100


RULES = (MomentRule("renewal", 45, 0.9), MomentRule("nps_promoter", 30, 0.7, min_score=9))


def test_a_moment_fades_linearly_and_the_best_open_one_wins() -> None:
    con = engine(
        inputs(
            [
                {"kind": "renewal", "day": TODAY - 9, "detail": "Renewed"},
                {"kind": "nps", "contact_id": 1, "nps_score": 10, "day": TODAY - 3},
            ]
        )
    )
    moment = best_moments(con, TODAY, RULES).to_pylist()[0]
    assert moment["moment"] == "renewal"
    assert moment["moment_strength"] == pytest.approx(0.9 * (1 - 9 / 45))
    assert moment["moment_days_left"] == 36


def test_closed_windows_and_other_peoples_promoter_answers_open_no_moment() -> None:
    con = engine(
        inputs(
            [
                {"kind": "renewal", "day": TODAY - 45},
                {"kind": "nps", "contact_id": 2, "nps_score": 10, "day": TODAY - 1},
                {"kind": "nps", "contact_id": 1, "nps_score": 8, "day": TODAY - 1},
            ]
        )
    )
    assert best_moments(con, TODAY, RULES).num_rows == 0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ({"contact": {"opted_out": True}}, "opted out of referral asks"),
        ({"contact": {"do_not_contact": True}}, "marked do-not-contact"),
        ({"signals": [{"kind": "nps", "contact_id": 1, "nps_score": 4, "day": TODAY - 10}]}, "detractor (last NPS 4)"),
        ({"signals": [{"kind": "support_escalation", "day": TODAY - 10}]}, "open support escalation at the account"),
        ({"signals": [{"kind": "churn_risk", "day": TODAY - 10}]}, "churn risk at the account"),
        (
            {"asks": [{"contact_id": 1, "asked_ts": (TODAY - d) * DAY, "outcome": "accepted"} for d in (5, 40)]},
            "asked 2 times in the last quarter",
        ),
        (
            {
                "asks": [
                    {
                        "contact_id": 1,
                        "asked_ts": (TODAY - 200) * DAY,
                        "outcome": "declined",
                        "outcome_ts": (TODAY - 60) * DAY,
                    }
                ]
            },
            "declined an ask in the last 90 days",
        ),
    ],
)
def test_each_gate_blocks_with_its_reason(case: dict[str, Any], reason: str) -> None:
    con = engine(inputs(case.get("signals", []), case.get("asks", []), **case.get("contact", {})))
    gated = gate_reasons(con, TODAY, GateSettings()).to_pylist()
    assert gated and gated[0]["reasons"] == [reason]


def test_a_recovered_promoter_and_old_asks_are_not_gated() -> None:
    con = engine(
        inputs(
            [
                {"kind": "nps", "contact_id": 1, "nps_score": 3, "day": TODAY - 300},
                {"kind": "nps", "contact_id": 1, "nps_score": 9, "day": TODAY - 20},
                {"kind": "support_escalation", "day": TODAY - 100, "resolved_day": TODAY - 90},
            ],
            [
                {
                    "contact_id": 1,
                    "asked_ts": (TODAY - 120) * DAY,
                    "outcome": "declined",
                    "outcome_ts": (TODAY - 100) * DAY,
                }
            ],
        )
    )
    assert gate_reasons(con, TODAY, GateSettings()).num_rows == 0


def greedy(sponsors: list[int], targets: list[int], per_sponsor: int) -> list[int]:
    """The rule, one candidate at a time."""
    taken: set[int] = set()
    count: dict[int, int] = {}
    chosen = []
    for i, (sponsor, target) in enumerate(zip(sponsors, targets, strict=True)):
        if target not in taken and count.get(sponsor, 0) < per_sponsor:
            taken.add(target)
            count[sponsor] = count.get(sponsor, 0) + 1
            chosen.append(i)
    return chosen


@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(1_000, 1_040)), max_size=12_000),
    st.integers(1, 4),
)
def test_actions_are_chosen_best_first_once_per_target_and_within_each_sponsors_cap(
    candidates: list[tuple[int, int]], per_sponsor: int
) -> None:
    sponsors, targets = [s for s, _ in candidates], [t for _, t in candidates]
    chosen = choose(np.array(sponsors, dtype=np.int64), np.array(targets, dtype=np.int64), per_sponsor)
    assert chosen == greedy(sponsors, targets, per_sponsor)
    assert len({targets[i] for i in chosen}) == len(chosen)
    assert max(Counter(sponsors[i] for i in chosen).values(), default=0) <= per_sponsor


def test_far_apart_ids_are_chosen_by_the_same_rule() -> None:
    sponsors = [2**40, 7, 2**40, 7, 3 * 2**40]
    targets = [5, 5, 2**50, 2**50, 9]
    chosen = choose(np.array(sponsors, dtype=np.int64), np.array(targets, dtype=np.int64), 1)
    assert chosen == greedy(sponsors, targets, 1) == [0, 3, 4]


@pytest.mark.parametrize("base", [0, 2**45], ids=["small ids", "ids past a BIGINT key"])
@pytest.mark.parametrize(("confidences", "named"), [((0.5, 0.8), 2), ((0.8, 0.5), 1), ((0.6, 0.6), 1)])
def test_paths_into_one_account_combine_and_the_strongest_names_the_contact(
    base: int, confidences: tuple[float, float], named: int
) -> None:
    sponsor, first, second, colleague = base + 10, base + 1, base + 2, base + 30
    con = duckdb.connect()
    con.register("strengths", pa.table({"a": [7, 8], "b": [sponsor, sponsor], "strength": [0.9, 0.4]}))
    con.register(
        "contacts",
        pa.table(
            {
                "id": [sponsor, first, second, colleague],
                "account_id": [100, 200, 200, 100],
                "do_not_contact": [False, False, False, False],
            }
        ),
    )
    con.register("accounts", pa.table({"id": [100, 200], "lifecycle": ["client", "prospect"]}))
    con.register("pool", pa.table({"id": [sponsor, colleague], "account_id": [100, 100]}))
    con.register(
        "connections",
        pa.table(
            {
                "from_id": [sponsor, second, sponsor],
                "to_id": [first, sponsor, colleague],  # either way round; a tie inside one account is no path
                "kind": ["declared", "former_colleagues", "declared"],
                "confidence": [confidences[0], confidences[1], 1.0],
                "provenance": ["Met at a conference", "Worked together at Acme", "Same team"],
            }
        ),
    )
    (path,) = warm_paths(con, 0.01).to_pylist()
    assert (path["sponsor_id"], path["target_account_id"], path["paths"]) == (sponsor, 200, 2)
    assert path["path_strength"] == pytest.approx(1 - (1 - 0.9 * confidences[0]) * (1 - 0.9 * confidences[1]))
    assert path["target_contact_id"] == base + named
    con.register("chosen", pa.table({"sponsor_id": [sponsor], "target_contact_id": [base + named]}))
    (tie,) = con.sql(path_ties_sql("chosen")).to_arrow_table().to_pylist()
    assert tie["tie_kind"] == ("declared" if named == 1 else "former_colleagues")
