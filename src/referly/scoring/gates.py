"""Gates: who must not be asked today, and why; and the accounts that need recovery instead."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from referly.crm.lifecycle import Lifecycle, lifecycle_in
from referly.scoring.config import GateSettings

DAY = 86_400
GATE_CODES = (
    "do_not_contact",
    "opted_out",
    "detractor",
    "escalation",
    "churn_risk",
    "asks_cap",
    "account_asks_cap",
    "cooldown",
)


def gate_reasons(con: duckdb.DuckDBPyConnection, today: int, gates: GateSettings) -> pa.Table:
    """Per contact with at least one gate: the reasons in words and as codes (``GATE_CODES``), and whether the
    contact is a detractor. Never asked while any holds."""
    now = today * DAY
    return con.sql(
        f"""
        WITH latest_nps AS (
            SELECT contact_id, arg_max(nps_score, (day, -nps_score)) AS score
            FROM signals WHERE kind = 'nps' AND contact_id IS NOT NULL AND day <= {today} GROUP BY contact_id
        ),
        account_risk AS (
            SELECT account_id,
                   bool_or(kind = 'support_escalation' AND (resolved_day IS NULL OR resolved_day > {today}))
                       AS open_escalation,
                   bool_or(kind = 'churn_risk' AND (resolved_day IS NULL OR resolved_day > {today})) AS churn_risk
            FROM signals WHERE day <= {today} GROUP BY account_id
        ),
        account_asks AS (
            SELECT account_id, count(*) AS asks_quarter FROM asks
            WHERE asked_ts > {now - 91 * DAY} AND asked_ts <= {now} GROUP BY account_id
        ),
        recent_asks AS (
            SELECT contact_id,
                   count(*) FILTER (WHERE asked_ts > {now - 91 * DAY}) AS asks_quarter,
                   bool_or(outcome = 'declined' AND coalesce(outcome_ts, asked_ts) > {now - gates.cooldown_days * DAY})
                       AS cooling
            FROM asks WHERE asked_ts <= {now} GROUP BY contact_id
        ),
        reasons AS (
            SELECT c.id AS contact_id, c.account_id, list_filter([
                CASE WHEN c.do_not_contact THEN 'marked do-not-contact' END,
                CASE WHEN c.opted_out THEN 'opted out of referral asks' END,
                CASE WHEN n.score <= {gates.detractor_max_score} THEN 'detractor (last NPS ' || n.score || ')' END,
                CASE WHEN r.open_escalation THEN 'open support escalation at the account' END,
                CASE WHEN r.churn_risk THEN 'churn risk at the account' END,
                CASE WHEN a.asks_quarter >= {gates.asks_per_quarter}
                     THEN 'asked ' || a.asks_quarter || ' times in the last quarter' END,
                CASE WHEN aa.asks_quarter >= {gates.account_asks_per_quarter}
                     THEN 'account asked ' || aa.asks_quarter || ' times in the last quarter' END,
                CASE WHEN a.cooling THEN 'declined an ask in the last {gates.cooldown_days} days' END
            ], lambda x: x IS NOT NULL) AS reasons,
            list_filter([
                CASE WHEN c.do_not_contact THEN 'do_not_contact' END,
                CASE WHEN c.opted_out THEN 'opted_out' END,
                CASE WHEN n.score <= {gates.detractor_max_score} THEN 'detractor' END,
                CASE WHEN r.open_escalation THEN 'escalation' END,
                CASE WHEN r.churn_risk THEN 'churn_risk' END,
                CASE WHEN a.asks_quarter >= {gates.asks_per_quarter} THEN 'asks_cap' END,
                CASE WHEN aa.asks_quarter >= {gates.account_asks_per_quarter} THEN 'account_asks_cap' END,
                CASE WHEN a.cooling THEN 'cooldown' END
            ], lambda x: x IS NOT NULL) AS codes,
            n.score <= {gates.detractor_max_score} AS detractor
            FROM contacts c
            LEFT JOIN latest_nps n ON n.contact_id = c.id
            LEFT JOIN account_risk r ON r.account_id = c.account_id
            LEFT JOIN recent_asks a ON a.contact_id = c.id
            LEFT JOIN account_asks aa ON aa.account_id = c.account_id
        )
        SELECT * FROM reasons WHERE len(reasons) > 0
        """
    ).to_arrow_table()


def recovery_accounts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Client accounts with a detractor: to win back before anyone there is asked for anything."""
    return con.sql(
        f"""
        SELECT g.account_id, count(*) AS detractors, list(g.contact_id ORDER BY g.contact_id) AS contact_ids
        FROM gated g JOIN accounts a ON a.id = g.account_id
        WHERE g.detractor AND {lifecycle_in("a.lifecycle", Lifecycle.CLIENT)}
        GROUP BY g.account_id ORDER BY detractors DESC, g.account_id
        """
    ).to_arrow_table()
