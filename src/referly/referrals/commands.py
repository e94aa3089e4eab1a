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
@click.option("--action", "action_id", type=int, help="A next best action's id (referly actions --json).")
@click.option("--referrer", help="Without --action: the referrer's e-mail (a contact at a client).")
@click.option("--target-account", help="Without --action: the target account's domain.")
@click.option("--target-contact", help="The person to be introduced, by work e-mail.")
@click.option("--target-name", help="Their name, to record a new person (name, work e-mail, role only).")
@click.option("--target-title", default="", help="Their role, for a new person.")
@click.option("--owner", help="Without --action: the teammate who owns it (e-mail).")
@click.option("--actor", help="Your e-mail, for the audit trail.")
@click.option("--channel", type=click.Choice(["email", "linkedin", "call"]), help="Default: the action's, or email.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True, help="The script's language.")
@database_option
def create(
    action_id: int | None,
    referrer: str | None,
    target_account: str | None,
    target_contact: str | None,
    target_name: str | None,
    target_title: str,
    owner: str | None,
    actor: str | None,
    channel: str | None,
    lang: str,
) -> None:
    """Register a referral, from a next best action or from an explicit referrer and target."""
    from referly.errors import InvalidInput

    explicit = (referrer, target_account, owner)
    if (action_id is None) == (not any(explicit)):
        raise InvalidInput("Give either --action ID or --referrer, --target-account and --owner")
    if action_id is None and not all(explicit):
        raise InvalidInput("An explicit referral needs --referrer, --target-account and --owner")
    _open()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals import services

    now = timezone.now()
    with transaction.atomic():
        who = services.teammate_by_email(actor)
        if action_id is not None:
            made = services.create_from_action(action_id, who, now, channel, lang)
        else:
            made = services.create_explicit(
                referrer or "",
                target_account or "",
                target_contact,
                target_name,
                target_title,
                services.teammate_by_email(owner) or who,  # type: ignore[arg-type]
                now=now,
                actor=who,
                channel=channel,
                lang=lang,
            )
    credit = f", {made.attribution}: {made.credit_note}" if made.attribution != "pending" else ""
    console.print(
        f"Referral {made.pk} identified (version {made.version}{credit}). "
        f"Next: referly referral advance {made.pk} requested"
    )


@referral.command("advance")
@click.argument("referral_id", type=int)
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--note", default="", help="Why, for the audit trail.")
@click.option("--actor", help="Your e-mail, for the audit trail.")
@click.option("--version", "expected_version", type=int, help="The version you read: refused if it changed since.")
@click.option("--consent", is_flag=True, help="The referrer confirmed the person agreed to be introduced.")
@click.option("--override", "override_reason", default="", help="Why you ask despite a cap or cool-down (recorded).")
@database_option
def advance_command(
    referral_id: int,
    stage: str,
    note: str,
    actor: str | None,
    expected_version: int | None,
    consent: bool,
    override_reason: str,
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
            override_reason=override_reason,
        )
        draft = moved.transitions.order_by("-at", "-id").values_list("draft", flat=True).first()
    extra = f"; opportunity {moved.opportunity_id} ({moved.attribution})" if moved.opportunity_id else ""
    console.print(f"Referral {moved.pk} is now {moved.stage} (version {moved.version}){extra}.")
    if draft:
        console.print("\nClose the loop: a thank-you for the referrer, ready to send:\n")
        click.echo(draft)


@referral.command("refresh")
@click.option("--silence", "silence_days", type=click.IntRange(min=1), help="Days (default REFERLY_NO_RESPONSE_DAYS).")
@database_option
def refresh_command(silence_days: int | None) -> None:
    """Daily upkeep: silent asks become no_response, won/lost deals move their referrals, credit is redone."""
    _open()
    from django.db import transaction
    from django.utils import timezone

    from referly.referrals.services import refresh

    with transaction.atomic():
        done = refresh(timezone.now(), silence_days)
    console.print(
        f"{done['no_response']} referral(s) moved to no_response, {done['followed_deals']} followed their deal, "
        f"{done['credit_changes']} credit change(s)."
    )


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
        "duplicate_of": r.duplicate_of_id,
        "credit_note": r.credit_note,
        "script": r.script_key,
        "created_at": r.created_at.isoformat(),
        "stage_changed_at": r.stage_changed_at.isoformat(),
    }


@referral.command("list")
@click.option("--stage", type=click.Choice(STAGES))
@click.option("--owner", help="The owner's e-mail.")
@click.option("--referrer", help="The referrer's e-mail.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_command(stage: str | None, owner: str | None, referrer: str | None, limit: int, as_json: bool) -> None:
    """Referrals, newest first, filtered by stage, owner or referrer."""
    _open()
    from referly.referrals import queries

    found = queries.filtered(queries.in_view(None), stage=stage, owner=owner, referrer=referrer)
    rows = [_row(r) for r in found[:limit]]
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
    from referly.referrals import queries

    r = queries.visible(None, referral_id)
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
        f"({row['target_account']}), owner {row['owner']}, {r.stage}, version {r.version}"
    )
    console.print(f"  credit: {r.attribution} ({r.credit_note or 'not computed'})", markup=False)
    for t in trail:
        line = f"  {t['at'][:16]}  {t['from'] or 'new'} → {t['to']}  {t['actor'] or ''}  {t['note']}"
        console.print(line, markup=False)
