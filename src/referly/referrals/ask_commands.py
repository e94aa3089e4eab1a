"""`referly ask log|list|outcome`: the asks ledger, by hand."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from referly.errors import InvalidInput
from referly.terminal import console, database_option

KINDS = ["referral", "reference_call", "case_study", "review"]


@click.group()
def ask() -> None:
    """Record and review asks of client contacts (caps and cool-downs apply to everyone)."""


@ask.command("log")
@click.argument("email")
@click.option("--kind", type=click.Choice(KINDS), default="referral", show_default=True)
@click.option("--by", "asked_by", help="Who asked (a teammate's e-mail).")
@click.option("--at", "asked_at", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), help="Default: now.")
@click.option("--override", "override_reason", default="", help="Why you ask despite a cap or cool-down (recorded).")
@database_option
def log(email: str, kind: str, asked_by: str | None, asked_at: datetime | None, override_reason: str) -> None:
    """Record an ask of the contact EMAIL; refused, with the reason, when it breaks a cap or cool-down."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals.ledger import record_ask
    from referly.referrals.services import contact_by_email, teammate_by_email

    when = timezone.make_aware(asked_at, timezone.get_current_timezone()) if asked_at else timezone.now()
    if when > timezone.now():
        raise InvalidInput("--at: an ask is recorded once made, not in advance")
    with transaction.atomic():
        made = record_ask(
            contact_by_email(email).pk,
            kind=kind,
            asked_by=teammate_by_email(asked_by),
            now=when,
            override_reason=override_reason,
        )
    note = f", overriding: {made.override_reason}" if made.override_reason else ""
    console.print(f"Ask {made.pk} recorded ({kind}, {when:%Y-%m-%d}{note}).", markup=False)


@ask.command("outcome")
@click.argument("ask_id", type=int)
@click.argument("outcome", type=click.Choice(["accepted", "declined", "no_response"]))
@database_option
def outcome(ask_id: int, outcome: str) -> None:
    """Record how an ask ended; a decline starts the cool-down."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals.ledger import settle

    with transaction.atomic():
        settled = settle(ask_id, outcome, timezone.now())
    console.print(f"Ask {settled.pk}: {settled.outcome}.")


@ask.command("list")
@click.option("--contact", "email", help="Only this contact's asks (e-mail).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_command(email: str | None, limit: int, as_json: bool) -> None:
    """Asks, newest first."""
    from referly.database import open_database

    open_database()
    from referly.referrals.models import Ask
    from referly.referrals.services import contact_by_email

    found = Ask.objects.select_related("contact", "account", "asked_by")
    if email:
        found = found.filter(contact=contact_by_email(email))
    rows: list[dict[str, Any]] = [
        {
            "id": a.pk,
            "contact": a.contact.name,
            "account": a.account.name,
            "kind": a.kind,
            "asked_at": a.asked_at.isoformat(),
            "asked_by": a.asked_by.name if a.asked_by else None,
            "outcome": a.outcome,
            "referral": a.referral_id,
            "override_reason": a.override_reason,
        }
        for a in found.order_by("-asked_at", "-id")[:limit]
    ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(show_edge=False)
    for column in ("Id", "When", "Contact", "Account", "Kind", "Outcome", "Override"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["asked_at"][:10],
            r["contact"],
            r["account"],
            r["kind"],
            r["outcome"],
            r["override_reason"],
        )
    console.print(table)
