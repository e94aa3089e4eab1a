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

Each sponsor also names the evidence it is ranked without (``missing_evidence``): no NPS answer, no
interactions (or only a CRM's activity dates), no client-since date, no measured success, no warm path.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
            SELECT contact_id, list(nps_score ORDER BY day DESC, nps_score) AS answers
            FROM signals WHERE kind = 'nps' AND day <= {today} AND contact_id IS NOT NULL GROUP BY contact_id
        ),
        account_nps AS (
            SELECT account_id, avg(nps_score) AS avg_nps FROM signals
            WHERE kind = 'nps' AND day <= {today} AND day > {today - 365} GROUP BY account_id
        ),
        facts AS (
            SELECT account_id,
                   count(*) FILTER (kind IN ('renewal', 'expansion')) AS growth_signals,
                   arg_max(detail, (day, detail)) FILTER (kind = 'measured_success') AS success_detail,
                   bool_or(kind IN ('case_study', 'testimonial', 'webinar')) AS account_advocacy,
                   bool_or(kind = 'support_escalation' AND resolved_day IS NOT NULL
                           AND resolved_day > {today - escalation_days}) AS recent_escalation
            FROM signals WHERE day <= {today} GROUP BY account_id
        ),
        personal AS (
            SELECT contact_id,
                   bool_or(kind = 'measured_success') AS own_success,
                   arg_max(detail, (day, detail)) FILTER (kind = 'measured_success') AS own_success_detail,
                   bool_or(kind IN ('case_study', 'testimonial', 'webinar')) AS own_advocacy
            FROM signals WHERE day <= {today} AND contact_id IS NOT NULL GROUP BY contact_id
        ),
        past AS (
            SELECT referrer_contact_id AS contact_id,
                   count(*) FILTER (stage = 'won') AS won, count(*) FILTER (stage = 'declined') AS declined
            FROM referrals GROUP BY referrer_contact_id
        ),
        tie AS (SELECT b AS contact_id, max(strength) AS tie, arg_max(a, (strength, -a)) AS teammate_id,
                       bool_and(activity_only) AS activity_only
                FROM strengths GROUP BY b),
        reach AS (SELECT sponsor_id, count(*) FILTER (f.tier IN ('A', 'B')) AS reach, count(*) AS paths
                  FROM paths p LEFT JOIN fit f ON f.account_id = p.target_account_id GROUP BY sponsor_id)
        SELECT p.id AS contact_id, p.account_id, c.seniority, c.role,
               n.answers[1] AS last_nps, n.answers[2] AS previous_nps, an.avg_nps,
               ({today} - a.client_day) / 30.44 AS months_client,
               coalesce(f.growth_signals, 0) AS growth_signals, coalesce(pe.own_success, false) AS own_success,
               coalesce(pe.own_success_detail, f.success_detail) AS success_detail,
               f.success_detail IS NOT NULL AS account_success,
               coalesce(pe.own_advocacy, false) AS own_advocacy,
               coalesce(f.account_advocacy, false) AS account_advocacy,
               coalesce(f.recent_escalation, false) AS recent_escalation,
               coalesce(pa.won, 0) AS referrals_won, coalesce(pa.declined, 0) AS referrals_declined,
               coalesce(t.tie, 0) AS tie, t.teammate_id, coalesce(r.reach, 0) AS reach,
               t.contact_id IS NOT NULL AS touched, coalesce(t.activity_only, false) AS activity_only,
               a.client_day IS NULL AS no_client_day, coalesce(r.paths, 0) AS paths
        FROM pool p JOIN contacts c ON c.id = p.id JOIN accounts a ON a.id = p.account_id
        LEFT JOIN nps n ON n.contact_id = p.id LEFT JOIN account_nps an ON an.account_id = p.account_id
        LEFT JOIN facts f ON f.account_id = p.account_id LEFT JOIN personal pe ON pe.contact_id = p.id
        LEFT JOIN past pa ON pa.contact_id = p.id LEFT JOIN tie t ON t.contact_id = p.id
        LEFT JOIN reach r ON r.sponsor_id = p.id
        """
    ).to_arrow_table()


def _nps_value(score: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.where(score >= 9, 1.0, np.where(score >= 7, 0.5, 0.0))


def _column(features: pa.Table, name: str, missing: float = np.nan) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A numeric column as floats, ``missing`` where it is null."""
    return np.asarray(features.column(name).cast(pa.float64()).fill_null(missing).to_numpy(), dtype=np.float64)


def _flag(features: pa.Table, name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray(features.column(name).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _lookup(features: pa.Table, name: str, values: dict[str, float], otherwise: float) -> np.ndarray[Any, Any]:
    keys = features.column(name).to_pylist()
    return np.fromiter((values.get(k, otherwise) for k in keys), dtype=np.float64, count=len(keys))


def sponsor_components(features: pa.Table) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    last, previous, account = (_column(features, n) for n in ("last_nps", "previous_nps", "avg_nps"))
    trend = 0.1 * np.sign(np.nan_to_num(last - previous))  # 0 without a previous answer
    satisfaction = np.where(
        ~np.isnan(last),
        np.clip(_nps_value(last) + trend, 0.0, 1.0),
        np.where(~np.isnan(account), 0.8 * _nps_value(account), 0.3),
    )
    months = _column(features, "months_client", 0.0)
    won, declined = _column(features, "referrals_won", 0.0), _column(features, "referrals_declined", 0.0)
    own_adv, acc_adv = _flag(features, "own_advocacy"), _flag(features, "account_advocacy")
    return {
        "satisfaction": satisfaction,
        "proximity": _column(features, "tie", 0.0)
        * _lookup(features, "seniority", SENIORITY, 0.5)
        * _lookup(features, "role", ROLE, 0.7),
        "results": np.where(
            _flag(features, "own_success"), 1.0, np.where(_flag(features, "account_success"), 0.7, 0.0)
        ),
        "reach": np.minimum(1.0, _column(features, "reach", 0.0) / 5.0),
        "tenure": np.where(months < 6, 0.0, np.minimum(1.0, months / 24.0)),
        "growth": np.minimum(1.0, _column(features, "growth_signals", 0.0) / 3.0),
        "advocacy": np.clip(np.where(own_adv, 1.0, np.where(acc_adv, 0.5, 0.0)) + 0.3 * won - 0.3 * declined, 0, 1),
        "risk": np.where(_flag(features, "recent_escalation"), 15.0, 0.0),
    }


def sponsor_scores(
    components: dict[str, np.ndarray[Any, np.dtype[np.float64]]], settings: ScoringSettings
) -> np.ndarray[Any, np.dtype[np.float64]]:
    weights = dict(settings.sponsor_weights)
    total = sum(weights.get(name, 0.0) * components[name] for name in COMPONENTS)
    return np.clip(np.asarray(total, dtype=np.float64) - components["risk"], 0.0, 100.0)


MISSING_WORDS = (
    "no NPS",
    "no interactions: no proximity to our team",
    "no interactions: proximity from CRM activity dates only",
    "no client-since date or won deal: tenure unknown",
    "no measured success",
    "no warm path to a prospect",
)


def missing_evidence(features: pa.Table) -> pa.ListArray:
    """Per sponsor, in words (``MISSING_WORDS``, in that order), what the score is computed without: the
    explanation of a thin ranking."""

    def flag(name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
        column = pc.fill_null(features.column(name), False)
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=bool)

    def absent(name: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.asarray(features.column(name).is_null().to_numpy(zero_copy_only=False), dtype=bool)

    touched = flag("touched")
    paths = np.asarray(pc.fill_null(features.column("paths"), 0).to_numpy(zero_copy_only=False))
    reasons = np.column_stack(
        [
            absent("last_nps") & absent("avg_nps"),
            ~touched,
            touched & flag("activity_only"),
            flag("no_client_day"),
            ~(flag("own_success") | flag("account_success")),
            paths == 0,
        ]
    )
    offsets = np.concatenate([[0], np.cumsum(reasons.sum(axis=1))]).astype(np.int32)
    words = np.tile(np.arange(len(MISSING_WORDS)), features.num_rows)[reasons.ravel()]
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(MISSING_WORDS).take(pa.array(words)))
