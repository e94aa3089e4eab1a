"""Sponsor score: how good a client contact is as a referrer right now, and why.

Each component is a number from 0 to 1; the score is their weighted sum (weights in the
settings, summing to 100) less a risk penalty, clipped to 0-100:

- satisfaction: the contact's last NPS answer, promoter 1, passive 0.5, detractor 0, ±0.1 for its
  trend; no answer of their own: the account's recent average, discounted by a fifth; none: 0.3.
  NPS is one input, not the gate (the gates handle detractors).
- proximity: the best relationship strength with our team × seniority × role toward us.
- results: a measured success on record (1 when it names the contact, 0.7 for the account).
- reach: ICP tier A or B accounts the contact can open through a warm path, five or more count fully.
- tenure: nothing before six months as a client, then growing to 1 at two years.
- growth: renewals and expansions, three or more count fully.
- advocacy: a case study, testimonial or webinar (1 theirs, 0.5 the account's), plus 0.3 per won
  referral and less 0.3 per declined one.
- risk penalty: 15 points for an escalation resolved in the last `escalation_days`.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from referly.scoring.config import ScoringSettings

SENIORITY = {
    "executive": 1.0,
    "vp": 0.9,
    "director": 0.8,
    "manager": 0.65,
    "individual": 0.45,
    "unknown": 0.5,
}
ROLE = {"executive_sponsor": 1.0, "champion": 1.0, "user": 0.8, "gatekeeper": 0.6, "other": 0.7}
COMPONENTS = ("satisfaction", "proximity", "results", "reach", "tenure", "growth", "advocacy")


def sponsor_features(con: duckdb.DuckDBPyConnection, today: int, escalation_days: int) -> pa.Table:
    """Raw facts per possible sponsor (``pool``), from which the components are computed."""
    return con.sql(
        f"""
        WITH nps AS (
            SELECT contact_id, list(nps_score ORDER BY day DESC) AS answers
            FROM signals WHERE kind = 'nps' AND day <= {today} AND contact_id IS NOT NULL GROUP BY contact_id
        ),
        account_nps AS (
            SELECT account_id, avg(nps_score) AS avg_nps FROM signals
            WHERE kind = 'nps' AND day <= {today} AND day > {today - 365} GROUP BY account_id
        ),
        facts AS (
            SELECT account_id,
                   count(*) FILTER (kind IN ('renewal', 'expansion')) AS growth_signals,
                   arg_max(detail, day) FILTER (kind = 'measured_success') AS success_detail,
                   bool_or(kind IN ('case_study', 'testimonial', 'webinar')) AS account_advocacy,
                   bool_or(kind = 'support_escalation' AND resolved_day IS NOT NULL
                           AND resolved_day > {today - escalation_days}) AS recent_escalation
            FROM signals WHERE day <= {today} GROUP BY account_id
        ),
        personal AS (
            SELECT contact_id,
                   bool_or(kind = 'measured_success') AS own_success,
                   arg_max(detail, day) FILTER (kind = 'measured_success') AS own_success_detail,
                   bool_or(kind IN ('case_study', 'testimonial', 'webinar')) AS own_advocacy
            FROM signals WHERE day <= {today} AND contact_id IS NOT NULL GROUP BY contact_id
        ),
        past AS (
            SELECT referrer_contact_id AS contact_id,
                   count(*) FILTER (stage = 'won') AS won, count(*) FILTER (stage = 'declined') AS declined
            FROM referrals GROUP BY referrer_contact_id
        ),
        tie AS (SELECT b AS contact_id, max(strength) AS tie, arg_max(a, strength) AS teammate_id
                FROM strengths GROUP BY b),
        reach AS (SELECT sponsor_id, count(*) FILTER (tier IN ('A', 'B')) AS reach FROM paths_fit GROUP BY sponsor_id)
        SELECT p.id AS contact_id, p.account_id, c.seniority, c.role,
               n.answers, an.avg_nps, ({today} - a.client_day) / 30.44 AS months_client,
               coalesce(f.growth_signals, 0) AS growth_signals, coalesce(pe.own_success, false) AS own_success,
               coalesce(pe.own_success_detail, f.success_detail) AS success_detail,
               f.success_detail IS NOT NULL AS account_success,
               coalesce(pe.own_advocacy, false) AS own_advocacy,
               coalesce(f.account_advocacy, false) AS account_advocacy,
               coalesce(f.recent_escalation, false) AS recent_escalation,
               coalesce(pa.won, 0) AS referrals_won, coalesce(pa.declined, 0) AS referrals_declined,
               coalesce(t.tie, 0) AS tie, t.teammate_id, coalesce(r.reach, 0) AS reach
        FROM pool p JOIN contacts c ON c.id = p.id JOIN accounts a ON a.id = p.account_id
        LEFT JOIN nps n ON n.contact_id = p.id LEFT JOIN account_nps an ON an.account_id = p.account_id
        LEFT JOIN facts f ON f.account_id = p.account_id LEFT JOIN personal pe ON pe.contact_id = p.id
        LEFT JOIN past pa ON pa.contact_id = p.id LEFT JOIN tie t ON t.contact_id = p.id
        LEFT JOIN reach r ON r.sponsor_id = p.id
        """
    ).to_arrow_table()


def _nps_value(score: float) -> float:
    return 1.0 if score >= 9 else 0.5 if score >= 7 else 0.0


def sponsor_components(features: pa.Table) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    f = features.to_pydict()
    n = features.num_rows
    satisfaction = np.full(n, 0.3)
    for i in range(n):
        answers = f["answers"][i]
        if answers:
            value = _nps_value(answers[0])
            if len(answers) > 1:
                value += 0.1 * np.sign(answers[0] - answers[1])
            satisfaction[i] = min(1.0, max(0.0, value))
        elif f["avg_nps"][i] is not None:
            satisfaction[i] = 0.8 * _nps_value(f["avg_nps"][i])
    months = np.array([m if m is not None else 0.0 for m in f["months_client"]], dtype=np.float64)
    won = np.array(f["referrals_won"], dtype=np.float64)
    declined = np.array(f["referrals_declined"], dtype=np.float64)
    own_adv = np.array(f["own_advocacy"], dtype=bool)
    acc_adv = np.array(f["account_advocacy"], dtype=bool)
    return {
        "satisfaction": satisfaction,
        "proximity": np.array(f["tie"], dtype=np.float64)
        * np.array([SENIORITY.get(s, 0.5) for s in f["seniority"]])
        * np.array([ROLE.get(r, 0.7) for r in f["role"]]),
        "results": np.where(
            np.array(f["own_success"], bool), 1.0, np.where(np.array(f["account_success"], bool), 0.7, 0.0)
        ),
        "reach": np.minimum(1.0, np.array(f["reach"], dtype=np.float64) / 5.0),
        "tenure": np.where(months < 6, 0.0, np.minimum(1.0, months / 24.0)),
        "growth": np.minimum(1.0, np.array(f["growth_signals"], dtype=np.float64) / 3.0),
        "advocacy": np.clip(np.where(own_adv, 1.0, np.where(acc_adv, 0.5, 0.0)) + 0.3 * won - 0.3 * declined, 0, 1),
        "risk": np.where(np.array(f["recent_escalation"], bool), 15.0, 0.0),
    }


def sponsor_scores(
    components: dict[str, np.ndarray[Any, np.dtype[np.float64]]], settings: ScoringSettings
) -> np.ndarray[Any, np.dtype[np.float64]]:
    weights = dict(settings.sponsor_weights)
    total = sum(weights.get(name, 0.0) * components[name] for name in COMPONENTS)
    return np.clip(np.asarray(total, dtype=np.float64) - components["risk"], 0.0, 100.0)
