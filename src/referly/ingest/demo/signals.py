"""Dated business facts, driven by each client's hidden health so that they tell one coherent story.

Healthy clients complete onboarding, record measured wins, renew, expand and answer NPS as
promoters; unhealthy ones escalate, show churn risk and answer as detractors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from referly.crm.models import ContactRole, Signal, SignalKind
from referly.ingest.demo.context import DemoContext, dates_or_none
from referly.ingest.demo.firmographics import Market
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import People

# (metric, unit, low, high, sentence): sentence takes the figure.
MEASURED_WINS = [
    ("time to onboard new reps", "%", 20, 60, "Cut the time to onboard new reps by {v:.0f}%"),
    ("forecast accuracy", "%", 8, 35, "Improved forecast accuracy by {v:.0f}%"),
    ("sales cycle", "days", 6, 30, "Shortened the sales cycle by {v:.0f} days"),
    ("hours saved per week", "hours", 5, 40, "Saves the team {v:.0f} hours a week"),
    ("win rate", "points", 3, 12, "Raised the win rate by {v:.0f} points"),
    ("customer churn", "%", 10, 40, "Reduced customer churn by {v:.0f}%"),
    ("pipeline generated", "%", 15, 80, "Grew qualified pipeline by {v:.0f}%"),
]


class _Rows:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {
            k: []
            for k in [
                "account_id",
                "contact_id",
                "kind",
                "day",
                "nps_score",
                "value",
                "unit",
                "metric",
                "detail",
                "resolved",
            ]
        }

    def add(self, account: int, kind: str, day: int, contact: int | None = None, **extra: Any) -> None:
        row = {
            "account_id": account,
            "contact_id": contact,
            "kind": kind,
            "day": day,
            "nps_score": None,
            "value": None,
            "unit": "",
            "metric": "",
            "detail": "",
            "resolved": -1,
            **extra,
        }
        for k, v in row.items():
            self.cols[k].append(v)


def generate_signals(ctx: DemoContext, market: Market, people: People, employment: Frame) -> Frame:
    rng = ctx.rng("signals")
    today = ctx.today
    rows = _Rows()
    roles = np.array(people.role, dtype=object)
    contacts_of = np.split(people.ids, np.flatnonzero(np.diff(people.account)) + 1)
    for a in np.flatnonzero(market.is_customer).tolist():
        account, health = int(market.ids[a]), float(market.health[a])
        start = int(market.client_since[a])
        stop = int(market.churned_on[a]) if market.churned_on[a] >= 0 else today
        mine = contacts_of[a]
        key = mine[np.isin(roles[mine - 1], [ContactRole.EXECUTIVE_SPONSOR, ContactRole.CHAMPION])]
        key = key if len(key) else mine

        onboarded = start + int(rng.integers(40, 130))
        if onboarded < stop and rng.random() < 0.3 + 0.65 * health:
            rows.add(account, SignalKind.ONBOARDING_COMPLETED, onboarded)
        survey = start + int(rng.integers(80, 200))
        while survey < stop:
            for c in rng.choice(mine, min(len(mine), int(rng.integers(1, 4))), replace=False).tolist():
                score = int(np.clip(round(rng.normal(3 + 7.5 * health, 1.6)), 0, 10))
                rows.add(account, SignalKind.NPS, survey, c, nps_score=score)
            survey += int(rng.integers(150, 210))
        if rng.random() < 0.75 * health**2:
            for _ in range(int(rng.integers(1, 3))):
                metric, unit, low, high, sentence = MEASURED_WINS[int(rng.integers(len(MEASURED_WINS)))]
                value = round(float(rng.uniform(low, high)), 0)
                day = onboarded + int(rng.integers(30, 400))
                if day < stop:
                    rows.add(
                        account,
                        SignalKind.MEASURED_SUCCESS,
                        day,
                        int(rng.choice(key)),
                        value=value,
                        unit=unit,
                        metric=metric,
                        detail=sentence.format(v=value),
                    )
        anniversary = start + 365
        while anniversary < stop:
            rows.add(account, SignalKind.RENEWAL, anniversary, detail="Renewed for 12 months")
            expanded = anniversary + int(rng.integers(0, 60))
            if rng.random() < 0.35 * health and expanded < stop:  # nothing dated after the demo's today
                rows.add(account, SignalKind.EXPANSION, expanded, detail="Added seats")
            anniversary += 365
        if health > 0.7 and rng.random() < 0.12:
            kind = [SignalKind.CASE_STUDY, SignalKind.TESTIMONIAL, SignalKind.WEBINAR][int(rng.integers(3))]
            day = start + int(rng.integers(200, 700))
            if day < stop:
                rows.add(account, kind, day, int(rng.choice(key)), detail=f"Published {kind.label.lower()}")
        if rng.random() < 0.35 * (1 - health) + 0.03:
            day = int(rng.integers(start, stop))
            open_now = rng.random() < 0.3 and stop == today
            rows.add(
                account,
                SignalKind.SUPPORT_ESCALATION,
                day,
                detail="Escalated to support leadership",
                resolved=-1 if open_now else min(day + int(rng.integers(3, 45)), today),
            )
        if health < 0.45 and rng.random() < 0.5:
            day = max(start, stop - int(rng.integers(20, 200)))
            rows.add(
                account,
                SignalKind.CHURN_RISK,
                day,
                detail="Usage dropped; renewal at risk",
                resolved=-1 if stop == today else stop,
            )
    _job_changes(ctx, rows, market, employment)
    c = rows.cols
    return Frame(
        Signal,
        {
            "account_id": c["account_id"],
            "contact_id": c["contact_id"],
            "kind": [str(k) for k in c["kind"]],
            "occurred_on": dates_or_none(np.array(c["day"], dtype=np.int64)),
            "nps_score": c["nps_score"],
            "value": c["value"],
            "unit": c["unit"],
            "metric": c["metric"],
            "detail": c["detail"],
            "resolved_on": dates_or_none(np.array(c["resolved"], dtype=np.int64)),
            "source_system": "demo",
        },
    )


def _job_changes(ctx: DemoContext, rows: _Rows, market: Market, employment: Frame) -> None:
    """A contact who recently joined one of our accounts, coming from one of our customers."""
    col = employment.columns
    previous: dict[int, str] = {}
    seen: set[int] = set()
    for contact, account, company, ended in zip(
        col["contact_id"], col["account_id"], col["company_name"], col["ended_on"], strict=True
    ):
        if ended is not None and contact not in seen:
            seen.add(contact)  # rows run from the latest job back: this is the job just before
            if account is not None and market.is_customer[account - 1]:
                previous[contact] = company
    for contact, account, started, ended in zip(
        col["contact_id"], col["account_id"], col["started_on"], col["ended_on"], strict=True
    ):
        if ended is None and started is not None and contact in previous:
            day = (date.fromisoformat(started) - date(1970, 1, 1)).days
            if day >= ctx.first_day:
                rows.add(account, SignalKind.JOB_CHANGE, day, contact, detail=f"Joined from {previous[contact]}")
