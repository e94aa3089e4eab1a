"""`referly audit list|export|prune`: read the audit trail, write it as CSV, delete what is past retention."""

from __future__ import annotations

import json
from pathlib import Path

import click

from referly.terminal import console, database_option

FILTERS = (
    click.option("--kind", default="", help="Events of this kind or starting with it, e.g. login. or export."),
    click.option("--actor", default="", help="Events whose actor contains this text."),
    click.option("--since", default="", metavar="YYYY-MM-DD", help="From this day."),
    click.option("--until", default="", metavar="YYYY-MM-DD", help="Up to this day, included."),
    click.option("--text", default="", help="Events whose subject contains this text."),
)


def _filters(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(FILTERS):
        func = option(func)
    return func


@click.group()
def audit() -> None:
    """The audit trail: logins, role changes, exports, imports, settings, webhooks, portal visits, forget."""


@audit.command("list")
@_filters
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def list_events(kind: str, actor: str, since: str, until: str, text: str, limit: int, as_json: bool) -> None:
    """The latest events, newest first."""
    from referly.database import open_database

    open_database()
    from rich.table import Table

    from referly.audit.queries import events, parse_filter
    from referly.audit.sheet import row

    wanted = parse_filter({"kind": kind, "actor": actor, "since": since, "until": until, "q": text})
    rows = [
        dict(zip(("at", "kind", "actor", "ip", "subject", "detail"), row(e), strict=True))
        for e in events(wanted)[:limit]
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No event matches.")
        return
    table = Table("When", "Kind", "Actor", "Address", "Subject", show_edge=False)
    for r in rows:
        table.add_row(r["at"], r["kind"], r["actor"], r["ip"], r["subject"])
    console.print(table, markup=False)


@audit.command("export")
@_filters
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The CSV file to write.")
@database_option
def export(kind: str, actor: str, since: str, until: str, text: str, out: Path) -> None:
    """Write the events the filters keep to a CSV file (formulas neutralised); the export is itself recorded."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.audit import sheet
    from referly.audit.queries import events, parse_filter
    from referly.audit.trail import command_line, record
    from referly.errors import Unavailable

    wanted = parse_filter({"kind": kind, "actor": actor, "since": since, "until": until, "q": text})
    with transaction.atomic():
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = sheet.write(handle, events(wanted).iterator(chunk_size=2000))
        except OSError as exc:
            raise Unavailable(f"Cannot write {out}: {exc.strerror or exc}") from None
        record(
            "export.audit", actor_label=command_line(), subject=out.name, detail={"events": count, **wanted.as_detail()}
        )
    console.print(f"Wrote {count:,} event(s) to {out}.", markup=False)


@audit.command("prune")
@click.option("--days", type=click.IntRange(1), default=None, help="Keep this many days (default: REFERLY_AUDIT_DAYS).")
@database_option
def prune(days: int | None) -> None:
    """Delete the events older than the retention period (the daily refresh does it too)."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.audit.trail import prune as prune_events
    from referly.audit.trail import retention_days

    kept = days or retention_days()
    with transaction.atomic():
        deleted = prune_events(timezone.now(), kept)
    console.print(f"Deleted {deleted:,} event(s) older than {kept:,} days.", markup=False)
