"""Moments: the ask windows trigger signals open, and the best one open for each contact today.

A window opens on the signal's day at the rule's strength and fades linearly to nothing at its
end. NPS promoter answers open a window for the person who answered; every other trigger (a
measured win, a renewal, a case study...) opens one for everybody at the account.
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
        )
        SELECT c.id AS contact_id,
               arg_max(o.rule, o.now_strength) AS moment,
               max(o.now_strength) AS moment_strength,
               arg_max(o.days_left, o.now_strength) AS moment_days_left,
               arg_max(o.detail, o.now_strength) AS moment_detail
        FROM contacts c JOIN open o
          ON (o.personal AND o.contact_id = c.id) OR (NOT o.personal AND o.account_id = c.account_id)
        GROUP BY c.id
        """
    ).to_arrow_table()
