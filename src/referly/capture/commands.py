"""`referly capture mail|calendar|linkedin`: relationship data from files a team already has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from referly.terminal import database_option

F = TypeVar("F", bound=Callable[..., Any])
_PATHS = click.Path(exists=False, path_type=Path)


@click.group()
def capture() -> None:
    """Capture interactions from mail files, calendars and LinkedIn exports (headers only, never bodies).

    \b
    Examples:
      referly capture mail ~/Takeout/Mail/All.mbox --mailbox-owner me@example.com
      referly capture mail Maildir/ archive.zip --dry-run
    """


def common_options(func: F) -> F:
    """--strict, --dry-run and --json, shared by every capture command."""
    func = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")(func)
    func = click.option("--dry-run", is_flag=True, help="Read and count everything, write nothing.")(func)
    func = click.option("--strict", is_flag=True, help="Any error refuses the whole capture.")(func)
    return func


@capture.command("mail")
@click.argument("paths", nargs=-1, required=True, type=_PATHS)
@click.option("--mailbox-owner", "owner", metavar="EMAIL", help="The teammate whose mailbox this is.")
@click.option("--create-accounts", is_flag=True, help="Make an account of each unknown company domain.")
@common_options
@database_option
def mail(
    paths: tuple[Path, ...], owner: str | None, create_accounts: bool, strict: bool, dry_run: bool, as_json: bool
) -> None:
    """Capture the messages of mbox files, Maildir folders, .eml files, or folders and zips of them.

    A message sent by one of us is an e-mail out to each external To/Cc; one received is an e-mail in.
    Mailing lists, bulk mail, robots, internal mail and blocklisted, forgotten or opted-out people are
    skipped and counted (docs/capture.md).
    """
    from referly.database import open_database

    open_database()
    from django.utils import timezone
    from rich.progress import Progress

    from referly.capture.mail import capture_files
    from referly.capture.report import show
    from referly.terminal import err_console

    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("Reading mail", total=None)
        summary = capture_files(
            list(paths),
            owner=owner,
            now=timezone.now(),
            create_accounts=create_accounts,
            strict=strict,
            dry_run=dry_run,
            advance=lambda n: progress.advance(task, n),
        )
    show(summary, as_json=as_json, dry_run=dry_run)
