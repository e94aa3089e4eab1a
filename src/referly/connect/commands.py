"""`referly webhook add|list|remove|test|log|redeliver`: who hears about referrals as they move."""

from __future__ import annotations

import json

import click
from rich.table import Table

from referly.terminal import console, database_option

EVENTS_HELP = (
    "Comma-separated: referral.created, referral.stage_changed, referral.won, credit.assigned, "
    "action.created, ask.sent, ask.replied."
)


@click.group()
def webhook() -> None:
    """Send referral events to another tool: signed JSON (Standard Webhooks) or a chat channel.

    \b
    Example:
      referly webhook add https://hooks.example.com/referly --events referral.stage_changed,referral.won
      referly webhook add https://chat.example.com/hooks/abc --kind slack --lang fr --events referral.won
    """


@webhook.command("add")
@click.argument("url")
@click.option("--events", required=True, help=EVENTS_HELP)
@click.option(
    "--kind",
    type=click.Choice(["standard", "slack"]),
    default="standard",
    show_default=True,
    help="standard: signed JSON; slack: a Slack-compatible chat message (Mattermost, Rocket.Chat too).",
)
@click.option("--lang", "language", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@database_option
def add(url: str, events: str, kind: str, language: str) -> None:
    """Subscribe URL to EVENTS; prints the signing secret once."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.connect.services import parse_events, subscribe

    with transaction.atomic():
        made = subscribe(url, parse_events(events), kind, language, timezone.now())
    console.print(f"Webhook {made.pk} added: {made.url} ({', '.join(made.events)}).", markup=False)
    if kind == "standard":
        console.print("Its signing secret, shown this once (verify each delivery with it):", markup=False)
        console.print(f"  {made.secret}", markup=False, highlight=False)


@webhook.command("list")
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_(as_json: bool) -> None:
    """Every subscription, active or disabled (and why)."""
    from referly.database import open_database

    open_database()
    from referly.connect.models import Subscription

    found = list(Subscription.objects.all())
    rows = [
        {
            "id": s.pk,
            "url": s.url,
            "kind": s.kind,
            "events": s.events,
            "language": s.language,
            "active": s.active,
            "disabled_reason": s.disabled_reason or None,
        }
        for s in found
    ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("No webhook yet: referly webhook add URL --events referral.stage_changed")
        return
    table = Table(show_edge=False)
    for column in ("Id", "URL", "Kind", "Events", "State"):
        table.add_column(column)
    for row in rows:
        state = "active" if row["active"] else f"disabled: {row['disabled_reason']}"
        table.add_row(str(row["id"]), str(row["url"]), str(row["kind"]), ", ".join(row["events"]), state)
    console.print(table)


@webhook.command("remove")
@click.argument("subscription_id", type=int)
@database_option
def remove(subscription_id: int) -> None:
    """Stop sending to webhook ID (its delivery log goes with it)."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.connect.services import unsubscribe

    with transaction.atomic():
        unsubscribe(subscription_id)
    console.print(f"Webhook {subscription_id} removed.")


@webhook.command("test")
@click.argument("subscription_id", type=int)
@database_option
def test(subscription_id: int) -> None:
    """Send a webhook.test event to ID now, and say what the receiver answered (retried by the worker if not)."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.connect.sending import deliver_webhooks
    from referly.connect.services import queue_test

    with transaction.atomic():
        queued = queue_test(subscription_id, timezone.now())
    deliver_webhooks(timezone.now)
    queued.refresh_from_db()
    last = queued.log.order_by("-at", "-id").first()
    if queued.state == "delivered":
        console.print(f"Delivered: the receiver answered {last.status if last else '?'}.")
        return
    why = (f"HTTP {last.status}" if last.status else last.error) if last else "not sent"
    console.print(f"Not delivered ({why}); the worker tries again from {queued.next_try_at:%H:%M:%S} UTC.")


@webhook.command("log")
@click.argument("subscription_id", type=int, required=False)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def log(subscription_id: int | None, limit: int, as_json: bool) -> None:
    """The latest deliveries and every try of each: status, time taken, error."""
    from referly.database import open_database

    open_database()
    from referly.connect.services import recent

    rows = [
        {
            "id": d.pk,
            "subscription": d.subscription_id,
            "event": d.event_type,
            "webhook_id": d.message_id,
            "state": d.state,
            "tries": [
                {"at": t.at.isoformat(), "status": t.status, "seconds": round(t.seconds, 3), "error": t.error or None}
                for t in d.log.all()
            ],
        }
        for d in recent(subscription_id, limit)
    ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(show_edge=False)
    for column in ("Delivery", "Webhook", "Event", "State", "Tries"):
        table.add_column(column)
    for row in rows:
        tries = "; ".join(f"{t['status'] or t['error']} in {t['seconds']} s" for t in row["tries"])  # type: ignore[attr-defined]
        table.add_row(str(row["id"]), str(row["subscription"]), str(row["event"]), str(row["state"]), tries)
    console.print(table)


@webhook.command("redeliver")
@click.argument("delivery_id", type=int)
@database_option
def redeliver_command(delivery_id: int) -> None:
    """Send delivery ID again, with the same webhook-id, at the worker's next pass."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.connect.services import redeliver

    with transaction.atomic():
        redeliver(delivery_id, timezone.now())
    console.print(f"Delivery {delivery_id} queued again.")
