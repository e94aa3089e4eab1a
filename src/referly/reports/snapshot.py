"""The system of record as it stood at a past moment: the scoring inputs a replay may use, and nothing later.

A replay that lets a later fact in flatters the model: a deal created after the ask blocks its target, an
introduction made after it adds the tie that makes the path warm, an account signed after it stops being a
prospect. So every table is cut at the moment ``T`` (epoch seconds), by these rules:

- timestamps (interactions, asks, referral and deal stage changes) count when strictly before ``T``;
- dates (signals, client since, churned on, deal creation, connections' ``since``) count once their day is over,
  so a fact dated on ``T``'s own day is not known at ``T``;
- an ask's outcome counts only when it was recorded before ``T``; otherwise the ask is pending;
- a referral's stage is the last stage it entered before ``T`` (its transition trail); a deal's stage is the last
  stage change before ``T``, and only deals open at ``T`` are kept;
- an account is a client when it became one before ``T`` and had not churned by then, churned when it churned
  before ``T``, a prospect when it became a client only later; undated lifecycles stay as recorded.

What the records cannot say is kept as it is now: contact details and consent flags, firmographics, undated
connections. ``docs/backtest.md`` lists these limits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pyarrow as pa

from referly.crm.lifecycle import Lifecycle
from referly.kit.sql import sql_text
from referly.scoring.context import DAY, Inputs
from referly.scoring.store import day_sql, epoch_sql, fetch_table, load_inputs

INTRODUCED_OR_LATER = ("introduced", "meeting", "opportunity", "won", "lost")
"""Stages only an introduced referral reaches (a loss follows an introduction, a meeting or a deal)."""
OPPORTUNITY_OR_LATER = ("opportunity", "won")
STILL_OPEN = ("identified", "requested", "introduced", "meeting", "opportunity")


def inputs_as_of(moment: int, *, current: Inputs | None = None, hidden_referrals: Collection[int] = ()) -> Inputs:
    """The scoring inputs at ``moment`` (epoch seconds), interactions aside (``reduce_in_database`` cuts them).

    ``current``: the tables as they are now (``load_inputs``), read once by a caller that replays many moments;
    only its teammates and contacts are used. ``hidden_referrals``: referrals left out entirely, e.g. the asks a
    replay is about to score, so that an ask identified a few days before ``moment`` does not block its own target.
    """
    t, day = int(moment), int(moment) // DAY
    current = current if current is not None else load_inputs()
    return Inputs(
        events=current.events,
        teammates=current.teammates,
        contacts=current.contacts,
        accounts=_accounts(day),
        signals=fetch_table(
            f"SELECT account_id, contact_id, kind, {day_sql('occurred_on')}, nps_score, detail, "
            f"CASE WHEN {day_sql('resolved_on')} < {day} THEN {day_sql('resolved_on')} END "
            f"FROM crm_signal WHERE {day_sql('occurred_on')} < {day}",
            ["account_id", "contact_id", "kind", "day", "nps_score", "detail", "resolved_day"],
            {"contact_id": pa.int64(), "nps_score": pa.int64(), "resolved_day": pa.int64()},
        ),
        connections=fetch_table(
            "SELECT from_contact_id, to_contact_id, kind, confidence, provenance FROM crm_connection "
            f"WHERE to_contact_id IS NOT NULL AND (since IS NULL OR {day_sql('since')} < {day})",
            ["from_id", "to_id", "kind", "confidence", "provenance"],
            {"from_id": pa.int64(), "to_id": pa.int64(), "confidence": pa.float64()},
        ),
        opportunities=_opportunities(t, day),
        asks=fetch_table(
            f"SELECT contact_id, account_id, {epoch_sql('asked_at')}, "
            f"CASE WHEN {epoch_sql('outcome_at')} < {t} THEN outcome ELSE 'pending' END, "
            f"CASE WHEN {epoch_sql('outcome_at')} < {t} THEN {epoch_sql('outcome_at')} END "
            f"FROM referrals_ask WHERE {epoch_sql('asked_at')} < {t}",
            ["contact_id", "account_id", "asked_ts", "outcome", "outcome_ts"],
            {
                "contact_id": pa.int64(),
                "account_id": pa.int64(),
                "asked_ts": pa.int64(),
                "outcome": pa.string(),
                "outcome_ts": pa.int64(),
            },
        ),
        referrals=_referrals(t, hidden_referrals),
    )


def _accounts(day: int) -> pa.Table:
    since, churned = day_sql("client_since"), day_sql("churned_on")
    lifecycle = f"""CASE
        WHEN {churned} < {day} THEN {sql_text(Lifecycle.CHURNED)}
        WHEN {since} < {day} THEN {sql_text(Lifecycle.CLIENT)}
        WHEN {since} >= {day} THEN {sql_text(Lifecycle.PROSPECT)}
        WHEN {churned} >= {day} THEN {sql_text(Lifecycle.CLIENT)}
        ELSE lifecycle END"""
    return fetch_table(
        "SELECT id, name, industry, employees, CAST(annual_revenue AS FLOAT), country, "
        f"{lifecycle}, CASE WHEN {since} < {day} THEN {since} END, custom FROM crm_account",
        ["id", "name", "industry", "employees", "annual_revenue", "country", "lifecycle", "client_day", "custom"],
        {"employees": pa.int64(), "annual_revenue": pa.float64(), "client_day": pa.int64(), "custom": pa.string()},
    )


def _opportunities(t: int, day: int) -> pa.Table:
    """Deals created before ``T`` and open at ``T``, at the stage they had then.

    A deal without a recorded stage change before ``T`` keeps its stage when it is still open (the best the
    records say), counts as closed when it closed before ``T``, and as prospecting when it closed later.
    """
    last_change = (
        "(SELECT c.stage FROM crm_opportunitystagechange c WHERE c.opportunity_id = o.id "
        f"AND {epoch_sql('c.changed_at')} < {t} ORDER BY c.changed_at DESC, c.id DESC LIMIT 1)"
    )
    undated = (
        f"CASE WHEN {day_sql('o.closed_on')} < {day} THEN o.stage "
        "WHEN o.stage IN ('won', 'lost') THEN 'prospecting' ELSE o.stage END"
    )
    return fetch_table(
        f"SELECT account_id, stage FROM (SELECT o.account_id, coalesce({last_change}, {undated}) AS stage "
        f"FROM crm_opportunity o WHERE o.account_id IS NOT NULL AND {day_sql('o.created_on')} < {day}) AS deals "
        "WHERE stage NOT IN ('won', 'lost')",
        ["account_id", "stage"],
        {"account_id": pa.int64(), "stage": pa.string()},
    )


def _referrals(t: int, hidden: Collection[int]) -> pa.Table:
    """Referrals created before ``T`` at the stage they were in at ``T``.

    Without a transition before ``T`` the current stage holds when it was entered before ``T``; otherwise the
    referral existed but its stage is not known, and it counts at its first stage, identified.
    """
    last_transition = (
        "(SELECT tr.to_stage FROM referrals_referraltransition tr WHERE tr.referral_id = r.id "
        f"AND {epoch_sql('tr.at')} < {t} ORDER BY tr.at DESC, tr.id DESC LIMIT 1)"
    )
    left_out = f" AND r.id NOT IN ({', '.join(str(int(i)) for i in sorted(hidden))})" if hidden else ""
    return fetch_table(
        f"SELECT r.referrer_contact_id, r.target_account_id, coalesce({last_transition}, "
        f"CASE WHEN {epoch_sql('r.stage_changed_at')} < {t} THEN r.stage ELSE 'identified' END) "
        f"FROM referrals_referral r WHERE {epoch_sql('r.created_at')} < {t}{left_out}",
        ["referrer_contact_id", "target_account_id", "stage"],
        {"referrer_contact_id": pa.int64(), "target_account_id": pa.int64(), "stage": pa.string()},
    )


@dataclass(frozen=True)
class ReferralAsk:
    """A referral that was asked for: who was asked, for which account, when, and how far it went."""

    referral_id: int
    sponsor_id: int
    target_account_id: int
    requested_ts: int
    stage: str
    introduced: bool
    opportunity: bool

    @property
    def still_open(self) -> bool:
        return self.stage in STILL_OPEN


def referral_asks(start: int, end: int) -> list[ReferralAsk]:
    """Referrals whose first ``requested`` transition falls in ``[start, end)`` (epoch seconds), oldest first.

    How far each went is read from its whole trail (and its current stage): a withdrawn referral that had
    been introduced counts as introduced.
    """

    def reached(stages: tuple[str, ...]) -> str:
        listed = ", ".join(f"'{s}'" for s in stages)
        return f"MAX(CASE WHEN tr.to_stage IN ({listed}) OR r.stage IN ({listed}) THEN 1 ELSE 0 END)"

    requested = f"MIN(CASE WHEN tr.to_stage = 'requested' THEN {epoch_sql('tr.at')} END)"
    table = fetch_table(
        f"SELECT * FROM (SELECT r.id, r.referrer_contact_id, r.target_account_id, {requested} AS requested_ts, "
        f"r.stage, {reached(INTRODUCED_OR_LATER)}, {reached(OPPORTUNITY_OR_LATER)} "
        "FROM referrals_referral r JOIN referrals_referraltransition tr ON tr.referral_id = r.id "
        "GROUP BY r.id, r.referrer_contact_id, r.target_account_id, r.stage) AS asked "
        f"WHERE requested_ts >= {int(start)} AND requested_ts < {int(end)} ORDER BY requested_ts, id",
        ["id", "sponsor_id", "target_account_id", "requested_ts", "stage", "introduced", "opportunity"],
        {"requested_ts": pa.int64()},
    )
    return [
        ReferralAsk(
            referral_id=int(row["id"]),
            sponsor_id=int(row["sponsor_id"]),
            target_account_id=int(row["target_account_id"]),
            requested_ts=int(row["requested_ts"]),
            stage=str(row["stage"]),
            introduced=bool(row["introduced"]),
            opportunity=bool(row["opportunity"]),
        )
        for row in table.to_pylist()
    ]
