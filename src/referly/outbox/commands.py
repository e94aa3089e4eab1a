"""`referly ask send` and `referly outbox list|show`: asks that leave from Referly, and what became of them."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table

from referly.errors import InvalidInput
from referly.outreach.scripts import LANGUAGES
from referly.terminal import console, database_option

STATES = [
    "queued",
    "sending",
    "sent",
    "replied",
    "auto_reply",
    "bounced",
    "no_reply",
    "failed",
    "unknown",
    "cancelled",
]


@click.command("send")
@click.argument("action_id", type=int, required=False)
@click.option("--referral", "referral_id", type=int, help="Send the ask of this referral (identified) instead.")
@click.option("--channel", type=click.Choice(["email"]), default="email", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), help="Default: the referral's script language, else en.")
@click.option("--edit", is_flag=True, help="Edit the subject and text in $EDITOR before sending.")
@click.option("--yes", is_flag=True, help="Send without asking for confirmation.")
@click.option("--now", "at_once", is_flag=True, help="Hand it to the SMTP server now instead of the worker.")
@click.option("--override", "override_reason", default="", help="Why you ask despite a cap or cool-down (recorded).")
@database_option
def send(
    action_id: int | None,
    referral_id: int | None,
    channel: str,
    lang: str | None,
    edit: bool,
    yes: bool,
    at_once: bool,
    override_reason: str,
) -> None:
    """Send the ask of a next best action (ACTION_ID) or a referral by e-mail, from its owner's address.

    Shows the message first; the gates, caps and consent are checked again as it is queued, and the worker sends it.
    """
    if (action_id is None) == (referral_id is None):
        raise InvalidInput("Give either an ACTION_ID (see `referly actions`) or --referral ID")
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.outbox.services import queue_ask
    from referly.outreach import context
    from referly.outreach.scripts import read_script_key, render
    from referly.referrals import drafts, queries

    referral = queries.visible(None, referral_id) if referral_id is not None else None
    language = lang or (read_script_key(referral.script_key)[1] if referral is not None else "en")
    filled = drafts.script_context(referral) if referral is not None else context.for_action(action_id or 0)
    written = render("email", language, filled)
    subject, text = written.subject, written.body
    if edit:
        subject, text = _edited(subject, text)
    console.print(f"Subject: {subject}\n\n{text}", markup=False, highlight=False)
    if not yes:
        click.confirm("Send this ask?", abort=True)
    with transaction.atomic():
        message = queue_ask(
            referral if referral is not None else action_id or 0,
            channel=channel,
            language=language,
            subject=subject,
            text=text,
            now=timezone.now(),
            override_reason=override_reason,
        )
    console.print(
        f"Queued as outbox message {message.pk} to {message.to_address} (referral {message.referral_id} is now "
        "requested).",
        markup=False,
        highlight=False,
    )
    if not at_once:
        console.print(f"The worker sends it (`referly worker`); see it with `referly outbox show {message.pk}`.")
        return
    from referly.outbox.delivery import deliver_due
    from referly.outbox.models import OutboxMessage

    deliver_due(timezone.now())
    message = OutboxMessage.objects.get(pk=message.pk)
    why = f": {message.last_error}" if message.last_error else ""
    console.print(f"Outbox message {message.pk}: {message.get_state_display()}{why}", markup=False, highlight=False)


def _edited(subject: str, text: str) -> tuple[str, str]:
    changed = click.edit(f"Subject: {subject}\n\n{text}")
    if changed is None:
        return subject, text
    first, _, rest = changed.partition("\n")
    if not first.startswith("Subject:"):
        raise InvalidInput("Keep the first line as `Subject: ...` when you edit the ask", field="subject")
    return first.removeprefix("Subject:").strip(), rest.strip() + "\n"


@click.group()
def outbox() -> None:
    """Messages sent (or waiting to be sent) from Referly, and what became of them."""


@outbox.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only messages in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_command(state: str | None, limit: int, as_json: bool) -> None:
    """Outbox messages, newest first."""
    from referly.database import open_database

    open_database()
    from referly.outbox.models import OutboxMessage

    found = OutboxMessage.objects.select_related("owner")
    if state:
        found = found.filter(state=state)
    rows = [_row(m) for m in found.order_by("-created_at", "-id")[:limit]]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(show_edge=False)
    for column in ("Id", "Queued", "State", "Owner", "To", "Subject", "Tries", "Last error"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["created_at"][:16],
            r["state"],
            r["owner"],
            r["to"],
            r["subject"],
            str(r["attempts"]),
            r["last_error"],
        )
    console.print(table)


@outbox.command("show")
@click.argument("message_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@database_option
def show(message_id: int, as_json: bool) -> None:
    """One message: its headers, its state and every change of it."""
    from referly.database import open_database

    open_database()
    from referly.errors import NotFound
    from referly.outbox.models import OutboxMessage

    message = OutboxMessage.objects.select_related("owner").filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"No outbox message with id {message_id} (see `referly outbox list`)")
    row = _row(message)
    row["history"] = [
        {"at": c.at.isoformat(), "from": c.from_state, "to": c.to_state, "note": c.note} for c in message.changes.all()
    ]
    row["text"] = message.text
    if as_json:
        console.print_json(json.dumps(row))
        return
    lines = [
        f"Outbox message {message.pk}: {message.get_state_display()}",
        f"From: {message.from_address}" + (f" (Reply-To: {message.reply_to})" if message.reply_to else ""),
        f"To: {row['to']}",
        f"Subject: {message.subject}",
        f"Message-ID: {message.message_id}",
        f"Referral: {message.referral_id or '-'}",
    ]
    if message.follow_up_due:
        lines.append(f"Follow-up due: {message.follow_up_due}")
    lines.append("History:")
    lines += [f"  {h['at'][:19]}  {h['from'] or 'new'} -> {h['to']}  {h['note']}" for h in row["history"]]
    console.print("\n".join(lines), markup=False, highlight=False)


@outbox.command("settle")
@click.argument("message_id", type=int)
@click.argument("decision", type=click.Choice(["sent", "queue"]))
@click.option("--by", default="", help="Who decides (recorded in the message's history). Default: the command line.")
@database_option
def settle(message_id: int, decision: str, by: str) -> None:
    """Settle a message left "unknown — check": it did leave (sent), or send it again (queue)."""
    from django.db import transaction
    from django.utils import timezone

    from referly.database import open_database

    open_database()
    from referly.outbox.services import settle_unknown

    with transaction.atomic():
        message = settle_unknown(message_id, decision, by or "the command line", timezone.now())
    console.print(f"Outbox message {message.pk}: {message.get_state_display()}.", markup=False, highlight=False)


def _row(message: Any) -> dict[str, Any]:
    return {
        "id": message.pk,
        "created_at": message.created_at.isoformat(),
        "state": message.state,
        "owner": message.owner.name,
        "to": f"{message.to_name} <{message.to_address}>" if message.to_name else message.to_address,
        "subject": message.subject,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "message_id": message.message_id,
        "referral": message.referral_id,
    }
