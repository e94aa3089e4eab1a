"""ICP, moments and gates on hand-made tables, with the values worked out by hand."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from referly.scoring.config import Criterion, GateSettings, IcpSettings, MomentRule
from referly.scoring.context import DAY, Inputs, engine
from referly.scoring.gates import gate_reasons
from referly.scoring.icp import icp_fit, meets
from referly.scoring.moments import best_moments

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


def test_icp_criteria_are_met_missed_or_unknown_and_weigh_into_tiers() -> None:
    settings = IcpSettings(
        (
            Criterion("industry", "industry", 60, any_of=("Software",)),
            Criterion("size", "employees", 40, between=(50, 500)),
            Criterion("age", "custom.founded", 0, between=(1990, 2020)),
        ),
        70,
        45,
    )
    fit = icp_fit(
        [
            {"industry": "software", "employees": 120, "custom": '{"founded": 2001}'},
            {"industry": "Retail", "employees": 120},
            {"industry": "Software", "employees": None},
        ],
        settings,
    )
    assert list(fit.score) == [100.0, 40.0, 60.0]
    assert fit.tier == ["A", "C", "B"]
    assert [c["met"] for c in fit.criteria[2]] == [True, None, None]
    assert meets(Criterion("n", "x", 1, between=(1, 2)), "not a number") is None


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
