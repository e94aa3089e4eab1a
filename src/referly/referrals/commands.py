"""`referly referral create|advance|list|show`."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table

from referly.terminal import console, database_option

STAGES = [
    "identified",
    "requested",
    "introduced",
    "meeting",
    "opportunity",
    "won",
    "lost",
    "declined",
    "no_response",
    "withdrawn",
]


@click.group()
def referral() -> None:
    """Track referrals from the ask to the won deal."""


def _open() -> None:
    from referly.database import open_database

    open_database()


@referral.command("create")
@click.option(
    "--action", "action_id", type=int, required=True, help="A next best action's id (referly actions --json)."
)
@click.option("--actor", help="Your e-mail, for the audit trail.")
@click.option("--channel", type=click.Choice(["email", "linkedin", "call"]), help="Default: the action's.")
@database_option
def create(action_id: int, actor: str | None, channel: str | None) -> None:
    """Identify a referral from a next best action."""
    _open()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals.services import create_from_action, teammate_by_email

    with transaction.atomic():
        made = create_from_action(action_id, teammate_by_email(actor), timezone.now(), channel)
    console.print(
        f"Referral {made.pk} identified (version {made.version}). Next: referly referral advance {made.pk} requested"
    )


@referral.command("advance")
@click.argument("referral_id", type=int)
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--note", default="", help="Why, for the audit trail.")
@click.option("--actor", help="Your e-mail, for the audit trail.")
@click.option("--version", "expected_version", type=int, help="The version you read: refused if it changed since.")
@click.option("--consent", is_flag=True, help="The referrer confirmed the person agreed to be introduced.")
@database_option
def advance_command(
    referral_id: int, stage: str, note: str, actor: str | None, expected_version: int | None, consent: bool
) -> None:
    """Move a referral to STAGE; forbidden moves and stale versions are refused with the reason."""
    _open()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals.services import advance, teammate_by_email

    with transaction.atomic():
        moved = advance(
            referral_id,
            stage,
            actor=teammate_by_email(actor),
            now=timezone.now(),
            note=note,
            expected_version=expected_version,
            consent=consent,
        )
    extra = f"; opportunity {moved.opportunity_id} ({moved.attribution})" if moved.opportunity_id else ""
    console.print(f"Referral {moved.pk} is now {moved.stage} (version {moved.version}){extra}.")


def _row(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "stage": r.stage,
        "version": r.version,
        "attribution": r.attribution,
        "referrer": r.referrer_contact.name,
        "referrer_account": r.referrer_account.name,
        "target_account": r.target_account.name,
        "target_contact": r.target_contact.name if r.target_contact else None,
        "owner": r.owner.email or r.owner.name,
        "channel": r.channel,
        "opportunity": r.opportunity_id,
        "created_at": r.created_at.isoformat(),
        "stage_changed_at": r.stage_changed_at.isoformat(),
    }


@referral.command("list")
@click.option("--stage", type=click.Choice(STAGES))
@click.option("--owner", help="The owner's e-mail.")
@click.option("--referrer", help="The referrer's e-mail.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_command(stage: str | None, owner: str | None, referrer: str | None, limit: int, as_json: bool) -> None:
    """Referrals, newest first, filtered by stage, owner or referrer."""
    _open()
    from referly.crm import normalise
    from referly.referrals.models import Referral

    found = Referral.objects.select_related(
        "referrer_contact", "referrer_account", "target_account", "target_contact", "owner"
    )
    if stage:
        found = found.filter(stage=stage)
    if owner:
        found = found.filter(owner__email=normalise.email(owner))
    if referrer:
        found = found.filter(referrer_contact__email=normalise.email(referrer))
    rows = [_row(r) for r in found.order_by("-created_at", "-id")[:limit]]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(show_edge=False)
    for column in ("Id", "Stage", "Referrer", "Target", "Owner", "Since"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["stage"],
            f"{r['referrer']} ({r['referrer_account']})",
            r["target_account"],
            r["owner"],
            r["stage_changed_at"][:10],
        )
    console.print(table)


@referral.command("show")
@click.argument("referral_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@database_option
def show(referral_id: int, as_json: bool) -> None:
    """One referral with its whole audit trail."""
    _open()
    from referly.errors import NotFound
    from referly.referrals.models import Referral

    r = (
        Referral.objects.select_related(
            "referrer_contact", "referrer_account", "target_account", "target_contact", "owner"
        )
        .filter(pk=referral_id)
        .first()
    )
    if r is None:
        raise NotFound(f"No referral with id {referral_id}")
    trail: list[dict[str, Any]] = [
        {
            "from": t.from_stage or None,
            "to": t.to_stage,
            "at": t.at.isoformat(),
            "actor": t.actor.name if t.actor else None,
            "note": t.note,
        }
        for t in r.transitions.select_related("actor").order_by("at", "id")
    ]
    if as_json:
        console.print_json(json.dumps({**_row(r), "transitions": trail}))
        return
    row = _row(r)
    console.print(
        f"Referral {r.pk}: {row['referrer']} ({row['referrer_account']}) → {row['target_contact'] or '?'} "
        f"({row['target_account']}), owner {row['owner']}, {r.stage}, version {r.version}, {r.attribution}"
    )
    for t in trail:
        console.print(f"  {t['at'][:16]}  {t['from'] or 'new'} → {t['to']}  {t['actor'] or ''}  {t['note']}")
