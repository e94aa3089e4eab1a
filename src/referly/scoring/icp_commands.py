"""`referly icp suggest`: the ICP the team's own deals suggest, and, with --apply, put in force."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click
from rich.table import Table

from referly.scoring.icp_suggest import MIN_DEALS, MIN_VALUE_DEALS, Deal, Suggestion, suggest_icp
from referly.terminal import console, database_option

BASELINE = (
    "won against lost among decided new-business deals (an account's deals up to its first win); "
    "open deals are left out"
)


@click.group()
def icp() -> None:
    """The ideal customer profile, from the team's own deals."""


@icp.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures and the proposal as JSON.")
@click.option("--apply", "apply", is_flag=True, help="Put the proposed criteria in force (a new settings version).")
@click.option(
    "--min-deals", type=click.IntRange(1), default=MIN_DEALS, show_default=True, help="Decided deals needed at all."
)
@click.option(
    "--min-value-deals",
    type=click.IntRange(1),
    default=MIN_VALUE_DEALS,
    show_default=True,
    help="Decided deals a value needs before it may enter the ICP.",
)
@click.option("--by", "by_whom", help="Who applies it, kept with the settings version. Default: your system login.")
@database_option
def suggest(as_json: bool, apply: bool, min_deals: int, min_value_deals: int, by_whom: str | None) -> None:
    """Compare won with lost deals by industry, size, revenue, country and custom attributes; propose criteria."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.scoring.config import settings_in_force
    from referly.scoring.models import SettingsSource
    from referly.scoring.settings_store import save_version

    found = suggest_icp(new_business_deals(), min_deals=min_deals, min_value_deals=min_value_deals)
    in_force = settings_in_force()
    applied = None
    if apply and found.criteria:
        now = datetime.now(tz=UTC)
        who = by_whom or getpass.getuser()
        document = json.loads(json.dumps(in_force.settings.raw))
        document["icp"]["criteria"] = [c.as_table() for c in found.criteria]
        note = (
            f"icp suggest on {found.decided} decided deals ({found.won} won), {now:%Y-%m-%d}, by {who}"
            f" (at least {min_deals} deals, {min_value_deals} per value)"
        )
        with transaction.atomic():
            applied = save_version(document, changed_by=who, source=SettingsSource.ICP_SUGGEST, now=now, note=note)
    if as_json:
        console.print_json(json.dumps(as_data(found, applied.pk if applied else None, in_force.settings.raw)))
        return
    print_suggestion(found)
    if applied is not None:
        console.print(f"Applied: settings version {applied.pk} now holds these criteria ({applied.note}).")
    elif apply:
        console.print("Nothing applied: the ICP in force is kept.")


def new_business_deals() -> list[Deal]:
    """Every opportunity of an account, up to the account's first won deal (later ones are expansions, which
    say nothing about who becomes a client), with the account's columns and custom attributes."""
    from referly.crm.models import Opportunity, OpportunityStage

    rows = list(
        Opportunity.objects.filter(account__isnull=False).values_list(
            "account_id",
            "stage",
            "created_on",
            "closed_on",
            "account__industry",
            "account__employees",
            "account__annual_revenue",
            "account__country",
            "account__custom",
        )
    )
    first_win: dict[int, Any] = {}
    for account, stage, created, closed, *_ in rows:
        day = closed or created
        if stage == OpportunityStage.WON and day is not None:
            first_win[account] = min(first_win.get(account, day), day)
    deals = []
    for account, stage, created, _, industry, employees, revenue, country, custom in rows:
        if created is not None and account in first_win and created > first_win[account]:
            continue
        won = True if stage == OpportunityStage.WON else False if stage == OpportunityStage.LOST else None
        values: dict[str, Any] = {
            "industry": industry,
            "employees": employees,
            "annual_revenue": float(revenue) if isinstance(revenue, Decimal) else revenue,
            "country": country,
        }
        for key, value in (custom if isinstance(custom, dict) else {}).items():
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                values[f"custom.{key}"] = value
        deals.append(Deal(won, values))
    return deals


def status_of(found: Suggestion) -> str:
    if not found.sufficient:
        return "insufficient data"
    return "proposed" if found.criteria else "no value clears"


def as_data(found: Suggestion, applied: int | None, current: dict[str, Any]) -> dict[str, Any]:
    def interval(i: Any) -> list[float] | None:
        return None if i is None else [round(i.low, 4), round(i.high, 4)]

    return {
        "evidence": "measured",
        "baseline": BASELINE,
        "status": status_of(found),
        "decided": found.decided,
        "won": found.won,
        "lost": found.decided - found.won,
        "open": found.open,
        "min_deals": found.min_deals,
        "min_value_deals": found.min_value_deals,
        "win_rate": None if found.rate is None else round(found.rate, 4),
        "win_rate_interval": interval(found.rate_interval),
        "interval_method": "wilson 95%; lift interval = wilson interval / overall win rate",
        "columns": [
            {
                "field": c.field,
                "name": c.name,
                "note": c.note,
                "values": [
                    {
                        "value": v.value,
                        "n": v.n,
                        "won": v.won,
                        "win_rate": round(v.rate, 4),
                        "win_rate_interval": interval(v.rate_interval),
                        "lift": None if v.lift is None else round(v.lift, 4),
                        "lift_interval": interval(v.lift_interval),
                        "enough": v.enough,
                        "clears": v.clears,
                    }
                    for v in c.values
                ],
            }
            for c in found.columns
        ],
        "criteria": [
            {**c.as_table(), "met": c.met, "met_won": c.met_won, "missed": c.missed, "missed_won": c.missed_won}
            for c in found.criteria
        ],
        "current_criteria": current["icp"]["criteria"],
        "applied_version": applied,
    }


def print_suggestion(found: Suggestion) -> None:
    if found.rate is None or found.rate_interval is None:
        console.print(f"Insufficient data: no decided deal ({found.open} open). The ICP in force is kept.")
        return
    console.print(
        f"Measured on {found.decided} decided new-business deals ({found.won} won, {found.decided - found.won} "
        f"lost; {found.open} open left out): win rate {found.rate:.0%} "
        f"(95% interval {found.rate_interval.low:.0%}-{found.rate_interval.high:.0%})."
    )
    table = Table(title="Win rate by account value (won against lost)", show_edge=False)
    for column in ("Column", "Value", "Deals", "Won", "Win rate (95%)", "Lift (95%)", "Clears"):
        table.add_column(column, justify="right" if column in ("Deals", "Won") else "left")
    for c in found.columns:
        if c.note:
            table.add_row(c.name, c.note, "", "", "", "", "")
        for v in c.values:
            rate = f"{v.rate:.0%} ({v.rate_interval.low:.0%}-{v.rate_interval.high:.0%})"
            lift = (
                "-"
                if v.lift is None or v.lift_interval is None
                else f"{v.lift:.2f} ({v.lift_interval.low:.2f}-{v.lift_interval.high:.2f})"
            )
            verdict = "yes" if v.clears else ("insufficient data" if not v.enough else "")
            table.add_row(c.name, v.value, str(v.n), str(v.won), rate, lift, verdict)
    console.print(table)
    if not found.sufficient:
        console.print(
            f"Insufficient data: {found.decided} decided deals, fewer than {found.min_deals}. The ICP in force is kept."
        )
        return
    if not found.criteria:
        console.print("No value wins clearly more often than the rest: the ICP in force is kept.")
        return
    proposal = Table(title="Proposed ICP criteria (weights sum to 100)", show_edge=False)
    for column in ("Criterion", "Field", "Met when", "Weight", "Win rate met / missed"):
        proposal.add_column(column)
    for p in found.criteria:
        bounds = f"{p.between[0]:,.0f} to {p.between[1]:,.0f}" if p.between else ""
        met_when = ", ".join(p.any_of) if p.any_of else bounds
        rates = f"{p.met_won / max(p.met, 1):.0%} of {p.met} / {p.missed_won / max(p.missed, 1):.0%} of {p.missed}"
        proposal.add_row(p.name, p.field, met_when, str(p.weight), rates)
    console.print(proposal)
