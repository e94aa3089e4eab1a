"""Mailboxes and calendars as sources: add, remove, sync one, sync all.

``add_*`` and ``remove_source`` write inside the caller's transaction. ``sync_source`` and ``sync_all``
commit per batch themselves: call them outside any transaction. Each sync records when it ran, what it
read and added, and why it failed (``last_error``, empty after a good sync).

``password_of`` lives in ``secrets.py`` (a sync engine imports it from there: importing this module back
would make a cycle, as this one dispatches to the engines).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from referly.capture.models import Security, Source, SourceKind
from referly.capture.rules import normalise
from referly.capture.secrets import encrypt
from referly.capture.secrets import password_of as password_of
from referly.capture.summary import Summary
from referly.crm.models import Teammate
from referly.crm.queries import CAPTURED
from referly.errors import Conflict, InvalidInput, NotFound, ReferlyError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

logger = logging.getLogger(__name__)


def add_imap_source(
    *,
    host: str,
    port: int | None,
    security: str,
    username: str,
    password: str | None,
    token_command: str,
    folders: list[str],
    owner_email: str,
    ca_file: str,
    now: datetime,
) -> Source:
    """A mailbox read over TLS (port 993) or STARTTLS (port 143), with a password or an OAuth2 token command."""
    host = host.strip()
    if not host or any(c.isspace() or c in "/@" for c in host):
        shown = repr(host) if host else "An empty host"
        raise InvalidInput(f"{shown} is not a server name: give one like imap.example.com", field="host")
    if host.count(":") == 1:
        raise InvalidInput(f"{host}: give the port on its own, not in the server name", field="host")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(f"The port must be between 1 and 65535, not {port}", field="port")
    if security not in Security.values:
        raise InvalidInput(f"The security must be tls or starttls, not {security!r}", field="security")
    username = _username(username)
    secret, token_command = _credentials(password, token_command)
    chosen = _folders(folders)
    owner = _owner(owner_email)
    _unique(SourceKind.IMAP, username, host=host)
    return Source.objects.create(
        kind=SourceKind.IMAP,
        host=host,
        port=port,
        security=security,
        username=username,
        secret=secret,
        token_command=token_command,
        folders=chosen,
        owner=owner,
        ca_file=_ca_file(ca_file),
        created_at=now,
    )


def add_caldav_source(
    *, url: str, username: str, password: str | None, token_command: str, owner_email: str, ca_file: str, now: datetime
) -> Source:
    """A calendar at a CalDAV address (https, or http on this machine only: the password would travel in clear)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{url or 'An empty address'} is not a calendar address: give https://…", field="url")
    if parts.username or parts.password:
        raise InvalidInput(
            "Give the user name and password in their own fields, not in the calendar's address", field="url"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise InvalidInput(f"{url} is not encrypted: give its https:// address", field="url")
    username = _username(username)
    secret, token_command = _credentials(password, token_command)
    owner = _owner(owner_email)
    _unique(SourceKind.CALDAV, username, url=url)
    return Source.objects.create(
        kind=SourceKind.CALDAV,
        url=url,
        username=username,
        secret=secret,
        token_command=token_command,
        owner=owner,
        ca_file=_ca_file(ca_file),
        created_at=now,
    )


def remove_source(source_id: int) -> None:
    """Forget the source, its password and its cursors; the interactions it captured stay."""
    deleted, _ = Source.objects.filter(pk=source_id).delete()
    if not deleted:
        raise NotFound(f"No source {source_id}: `referly source list` shows them", field="source_id")


def sync_source(source: Source, now: datetime) -> Summary:
    """Capture what is new in the source, and record how it went. Commits per batch: call it outside a
    transaction. An expected failure is recorded in ``last_error``, then raised again."""
    try:
        summary = _engine(source.kind)(source, now)
    except ReferlyError as exc:
        partial = getattr(exc, "summary", None)
        _record(source, now, partial if isinstance(partial, Summary) else None, exc.sentence)
        raise
    _record(source, now, summary, "")
    return summary


def sync_all(now: datetime) -> list[tuple[Source, Summary | str]]:
    """Sync every source in turn; each one's summary, or the sentence saying why it failed."""
    results: list[tuple[Source, Summary | str]] = []
    for source in Source.objects.select_related("owner").order_by("id"):
        try:
            results.append((source, sync_source(source, now)))
        except ReferlyError as exc:
            results.append((source, exc.sentence))
        except Exception as exc:  # a bug met on one source must not stop the others' sync
            said = f"{source.where}: unexpected error {type(exc).__name__} (the worker's log has the traceback)"
            logger.exception("sync of source %s failed", source.pk)
            _record(source, now, None, said)
            results.append((source, said))
    return results


def counts(summary: Summary) -> dict[str, Any]:
    """What ``last_counts`` keeps: the summary without its list of errors, with their number."""
    return {**{k: v for k, v in summary.as_json().items() if k != "errors"}, "errors": len(summary.errors)}


Engine = Callable[[Source, datetime], Summary]


def _engine(kind: str) -> Engine:
    if kind == SourceKind.IMAP:
        from referly.capture.imap import sync_mailbox

        return sync_mailbox
    from referly.capture.caldav import sync_calendar

    return sync_calendar


def _record(source: Source, now: datetime, summary: Summary | None, error: str) -> None:
    changes: dict[str, Any] = {"last_sync_at": now, "last_error": error}
    if summary is not None and (summary.read or not error):  # a failure before reading keeps the last counts
        changes["last_counts"] = counts(summary)
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(**changes)
    for name, value in changes.items():
        setattr(source, name, value)


def _username(username: str) -> str:
    username = username.strip()
    if not username:
        raise InvalidInput("Give the user name the server knows the mailbox by (often the address)", field="username")
    return username


def _credentials(password: str | None, token_command: str) -> tuple[str, str]:
    """(encrypted password, token command): exactly one of them is given."""
    token_command = token_command.strip()
    if bool(password) == bool(token_command):
        raise InvalidInput(
            "Give either a password or an OAuth2 token command (not both, not neither)", field="password"
        )
    return (encrypt(password), "") if password else ("", token_command)


def _folders(folders: list[str]) -> list[str]:
    chosen: list[str] = []
    for folder in folders:
        name = folder.strip()
        if not name:
            raise InvalidInput("A folder name cannot be empty", field="folders")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _owner(owner_email: str) -> Teammate:
    """The teammate whose mailbox or calendar it is, made if needed (as a capture makes a mailbox's owner)."""
    address = normalise(owner_email)
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(f"{owner_email!r} is not an e-mail address", field="owner_email") from None
    found = Teammate.objects.filter(email__in={owner_email.strip().lower(), address}).first()
    return found or Teammate.objects.create(name=address, email=address, source_system=CAPTURED)


def _ca_file(ca_file: str) -> str:
    ca_file = ca_file.strip()
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise InvalidInput(f"The CA file {ca_file} does not exist", field="ca_file")
    return str(Path(ca_file).expanduser().resolve()) if ca_file else ""


def _unique(kind: str, username: str, *, host: str = "", url: str = "") -> None:
    same = Source.objects.filter(kind=kind, username__iexact=username, host__iexact=host, url=url).first()
    if same is not None:
        raise Conflict(f"Source {same.pk} already reads {username} at {host or url}", field="username")
