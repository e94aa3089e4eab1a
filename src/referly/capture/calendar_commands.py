"""`referly capture calendar`: meetings from calendar exports (.ics files, folders and zips of them)."""

from __future__ import annotations

from pathlib import Path

import click

from referly.capture.commands import common_options
from referly.terminal import database_option

_PATHS = click.Path(exists=False, path_type=Path)


@click.command("calendar")
@click.argument("paths", nargs=-1, required=True, type=_PATHS)
@click.option("--create-accounts", is_flag=True, help="Make an account of each unknown company domain.")
@common_options
@database_option
def calendar(paths: tuple[Path, ...], create_accounts: bool, strict: bool, dry_run: bool, as_json: bool) -> None:
    """Capture the meetings of .ics files (Google Calendar, Outlook, Thunderbird exports), or folders and zips of them.

    A meeting is a touch with each outside attendee who did not decline, once per occurrence up to now:
    recurring events are expanded, cancelled ones and declined invitations count for nothing. Capturing an
    updated export again replaces what the changed events made before (docs/capture-calendars.md).

    \b
    Examples:
      referly capture calendar ~/Downloads/calendar-export.zip
      referly capture calendar alice@example.com.ics --dry-run --json
    """
    from referly.database import open_database

    open_database()
    from django.utils import timezone
    from rich.progress import Progress

    from referly.capture.calendar import capture_calendars
    from referly.capture.report import show
    from referly.terminal import console, err_console

    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("Reading calendars", total=None)
        summary = capture_calendars(
            list(paths),
            now=timezone.now(),
            strict=strict,
            dry_run=dry_run,
            create_accounts=create_accounts,
            advance=lambda n: progress.advance(task, n),
        )
    removed = getattr(summary, "removed", 0)
    if removed and not as_json and not summary.refused:
        console.print(f"{removed:,} meeting touch(es) withdrawn: their events moved, lost attendees or were cancelled.")
    show(summary, as_json=as_json, dry_run=dry_run, what="events")
