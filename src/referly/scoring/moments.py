"""Moments: the ask windows trigger signals open, and the best one open for each contact today.

A window opens on the signal's day at the rule's strength and fades linearly to nothing at its
end. NPS promoter answers open a window for the person who answered; every other trigger (a
measured win, a renewal, a case study...) opens one for everybody at the account. Between equally
strong windows the latest signal wins.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from referly.scoring.config import MomentRule


def rules_table(rules: tuple[MomentRule, ...]) -> pa.Table:
    return pa.table(
        {
            "rule": [r.kind for r in rules],
            "signal_kind": ["nps" if r.kind == "nps_promoter" else r.kind for r in rules],
            "days": [r.days for r in rules],
            "strength": [r.strength for r in rules],
            "min_score": [r.min_score if r.kind == "nps_promoter" else -1 for r in rules],
        }
    )


def best_moments(con: duckdb.DuckDBPyConnection, today: int, rules: tuple[MomentRule, ...]) -> pa.Table:
    """Per contact: the strongest open moment (rule, strength now, days left, the signal's detail)."""
    con.register("moment_rules", rules_table(rules))
    return con.sql(
        f"""
        WITH open AS (
            SELECT s.account_id, s.contact_id, r.rule, s.detail, s.day,
                   r.strength * (1 - ({today} - s.day) / r.days) AS now_strength,
                   r.days - ({today} - s.day) AS days_left, r.min_score >= 0 AS personal
            FROM signals s JOIN moment_rules r ON s.kind = r.signal_kind
            WHERE s.day <= {today} AND {today} - s.day < r.days
              AND (r.min_score < 0 OR s.nps_score >= r.min_score)
        ),
        reached AS (
            SELECT c.id AS contact_id, o.* EXCLUDE (contact_id) FROM open o JOIN contacts c ON c.id = o.contact_id
            WHERE o.personal
            UNION ALL
            SELECT c.id, o.* EXCLUDE (contact_id) FROM open o JOIN contacts c ON c.account_id = o.account_id
            WHERE NOT o.personal
        )
        SELECT contact_id, best.rule AS moment, best.now_strength AS moment_strength,
               best.days_left AS moment_days_left, best.detail AS moment_detail
        FROM (
            SELECT contact_id,
                   arg_max({{'rule': rule, 'now_strength': now_strength, 'days_left': days_left, 'detail': detail}},
                           (now_strength, -day, rule)) AS best
            FROM reached GROUP BY contact_id
        )
        """
    ).to_arrow_table()
