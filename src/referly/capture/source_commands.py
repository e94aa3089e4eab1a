"""`referly source add imap|caldav | list | sync [ID] | remove ID`: mailboxes and calendars synced on a schedule."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from referly.terminal import console, database_option

if TYPE_CHECKING:  # Django loads only when a command runs
    from referly.capture.models import Source
    from referly.capture.summary import Summary


@click.group()
def source() -> None:
    """Mailboxes (IMAP) and calendars (CalDAV) that Referly reads headers and meetings from, on a schedule.

    The worker syncs every source daily; `referly source sync` does it now. Only what arrived since the
    last sync is read. Passwords are stored encrypted; OAuth2 tokens are fetched by a command at each sync.

    \b
    Examples:
      printf '%s' "$IMAP_PASSWORD" | referly source add imap --host imap.example.com \\
          --user alice@example.com --password-stdin --owner alice@example.com
      referly source sync
      referly source list --json
    """


@source.group("add")
def add() -> None:
    """Add a mailbox (imap) or a calendar (caldav)."""


def _password(stdin: bool, env: str | None) -> str | None:
    """The password from standard input (its first line) or a variable; never from the command line."""
    from referly.errors import InvalidInput

    if stdin and env:
        raise InvalidInput("Give the password once: --password-stdin or --password-env", field="password")
    if stdin:
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            raise InvalidInput("--password-stdin read no password", field="password")
        return text
    if env:
        value = os.environ.get(env)
        if not value:
            raise InvalidInput(f"--password-env {env}: the variable {env} is not set", field="password")
        return value
    return None


@add.command("imap")
@click.option("--host", required=True, help="The IMAP server, e.g. imap.example.com.")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: 993 (TLS), 143 with --starttls.")
@click.option("--user", "username", required=True, help="The login, often the mailbox's address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
@click.option("--password-env", metavar="VAR", help="Read the password from this environment variable.")
@click.option(
    "--oauth2-token-command", "token_command", metavar="CMD", default="", help="A command printing an access token."
)
@click.option(
    "--folder", "folders", multiple=True, metavar="NAME", help="A folder to read (repeat). Default: INBOX and Sent."
)
@click.option("--starttls", is_flag=True, help="Connect in plain text, then STARTTLS (port 143).")
@click.option("--ca-file", default="", metavar="FILE", help="A CA certificate to trust (a self-signed server).")
@click.option("--owner", "owner_email", required=True, metavar="EMAIL", help="The teammate whose mailbox it is.")
@database_option
def add_imap(
    host: str,
    port: int | None,
    username: str,
    password_stdin: bool,
    password_env: str | None,
    token_command: str,
    folders: tuple[str, ...],
    starttls: bool,
    ca_file: str,
    owner_email: str,
) -> None:
    """Add an IMAP mailbox, read over TLS; log in with a password or an OAuth2 token command.

    Gmail and Microsoft 365 refuse passwords: give a command that prints a fresh access token
    (docs/capture-imap.md). The mailbox is read at the next sync.

    \b
    Examples:
      referly source add imap --host imap.example.com --user alice@example.com \\
          --password-env IMAP_PASSWORD --owner alice@example.com
      referly source add imap --host imap.gmail.com --user alice@example.com \\
          --oauth2-token-command "oauth2-token alice@example.com" --owner alice@example.com
    """
    from referly.errors import InvalidInput

    password = _password(password_stdin, password_env)
    if password is not None and token_command:
        raise InvalidInput("Give a password or --oauth2-token-command, not both", field="password")
    if password is None and not token_command:
        raise InvalidInput(
            "Give the password (--password-stdin or --password-env VAR) or --oauth2-token-command CMD",
            field="password",
        )
    made = _add(
        "add_imap_source",
        host=host,
        port=port,
        security="starttls" if starttls else "tls",
        username=username,
        password=password,
        token_command=token_command,
        folders=list(folders),
        owner_email=owner_email,
        ca_file=ca_file,
    )
    read = " and ".join(made.folders) if made.folders else "INBOX and the Sent folder"
    console.print(
        f"Source {made.pk} added: {made.where} as {made.username}, reading {read} for {made.owner.email}. "
        f"`referly source sync {made.pk}` reads it now; the worker syncs it daily.",
        markup=False,
        highlight=False,
    )


@add.command("caldav")
@click.option("--url", required=True, help="The calendar's CalDAV address (https://…).")
@click.option("--user", "username", required=True, help="The login.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
@click.option("--password-env", metavar="VAR", help="Read the password from this environment variable.")
@click.option("--ca-file", default="", metavar="FILE", help="A CA certificate to trust (a self-signed server).")
@click.option("--owner", "owner_email", required=True, metavar="EMAIL", help="The teammate whose calendar it is.")
@database_option
def add_caldav(
    url: str, username: str, password_stdin: bool, password_env: str | None, ca_file: str, owner_email: str
) -> None:
    """Add a CalDAV calendar; its meetings become touches at each sync.

    \b
    Example:
      referly source add caldav --url https://dav.example.com/alice/calendar/ --user alice \\
          --password-env DAV_PASSWORD --owner alice@example.com
    """
    from referly.errors import InvalidInput

    password = _password(password_stdin, password_env)
    if password is None:
        raise InvalidInput("Give the password: --password-stdin or --password-env VAR", field="password")
    made = _add(
        "add_caldav_source",
        url=url,
        username=username,
        password=password,
        token_command="",
        owner_email=owner_email,
        ca_file=ca_file,
    )
    console.print(
        f"Source {made.pk} added: {made.where} as {made.username} for {made.owner.email}. "
        f"`referly source sync {made.pk}` reads it now; the worker syncs it daily.",
        markup=False,
        highlight=False,
    )


def _add(service: str, **fields: Any) -> Source:
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.capture import sources

    with transaction.atomic():
        made: Source = getattr(sources, service)(now=timezone.now(), **fields)
        return made


@source.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as JSON.")
@database_option
def list_command(as_json: bool) -> None:
    """The sources, how each logs in, and how its last sync went (never a password).

    \b
    Example:
      referly source list --json
    """
    from referly.database import open_database

    open_database()
    from referly.capture.models import Source

    rows = [_row(s) for s in Source.objects.select_related("owner").order_by("id")]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("No sources yet: `referly source add imap --help` says how to add a mailbox.")
        return
    table = Table(show_edge=False)
    for column in ("Id", "Kind", "Where", "Login", "Owner", "Last sync", "Read", "Added", "Last error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        last = row["last_counts"]
        table.add_row(
            str(row["id"]),
            row["kind"],
            row["where"],
            f"{row['username']} ({row['login']})",
            row["owner"] or "",
            (row["last_sync_at"] or "never")[:16].replace("T", " "),
            f"{last.get('read', 0):,}" if last else "",
            f"{last.get('added', 0):,}" if last else "",
            row["last_error"] or "",
        )
    console.print(table)


def _row(s: Source) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "where": s.where,
        "security": s.security if s.kind == "imap" else None,
        "username": s.username,
        "login": "oauth2 token command" if s.token_command else "password",
        "folders": list(s.folders) or None,
        "ca_file": s.ca_file or None,
        "owner": s.owner.email,
        "created_at": s.created_at.isoformat(),
        "last_sync_at": s.last_sync_at.isoformat() if s.last_sync_at else None,
        "last_counts": s.last_counts,
        "last_error": s.last_error or None,
    }


@source.command("sync")
@click.argument("source_id", metavar="[ID]", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print each source's summary as JSON.")
@database_option
def sync(source_id: int | None, as_json: bool) -> None:
    """Read what is new in one source (ID) or in every source, now. Exits non-zero when one failed.

    \b
    Examples:
      referly source sync
      referly source sync 3 --json
    """
    from referly.database import open_database

    open_database()
    from django.utils import timezone

    from referly.capture.models import Source
    from referly.capture.report import show
    from referly.capture.sources import sync_source
    from referly.errors import NotFound, ReferlyError, Unavailable

    chosen = Source.objects.select_related("owner").order_by("id")
    if source_id is not None:
        chosen = chosen.filter(pk=source_id)
        if not chosen.exists():
            raise NotFound(f"No source {source_id}: `referly source list` shows them", field="id")
    results: list[tuple[Source, Summary | str]] = []
    for one in chosen:
        if not as_json:
            console.print(f"Source {one.pk}: {one.where} as {one.username}", style="bold", markup=False)
        try:
            summary = sync_source(one, timezone.now())
        except ReferlyError as exc:  # said once, at the end, with the others
            results.append((one, exc.sentence))
            continue
        results.append((one, summary))
        if not as_json:
            show(summary, as_json=False, dry_run=False)
    if as_json:
        click.echo(json.dumps([_result(s, r) for s, r in results], indent=2))
    elif not results:
        console.print("No sources yet: `referly source add imap --help` says how to add a mailbox.")
    failed = [f"{r}" for _, r in results if isinstance(r, str)]
    if len(failed) == 1:
        raise Unavailable(failed[0])
    if failed:
        raise Unavailable(f"{len(failed)} of {len(results)} sources failed: {'; '.join(failed)}")


def _result(s: Source, result: Summary | str) -> dict[str, Any]:
    if isinstance(result, str):
        return {"id": s.pk, "where": s.where, "ok": False, "error": result, "summary": None}
    return {"id": s.pk, "where": s.where, "ok": True, "error": None, "summary": result.as_json()}


@source.command("remove")
@click.argument("source_id", metavar="ID", type=int)
@database_option
def remove(source_id: int) -> None:
    """Forget a source, its password and where its sync stopped (its interactions stay).

    \b
    Example:
      referly source remove 3
    """
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.capture.sources import remove_source

    with transaction.atomic():
        remove_source(source_id)
    console.print(f"Source {source_id} removed; the interactions it captured stay.")
