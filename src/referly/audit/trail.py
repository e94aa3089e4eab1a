"""Writing to the audit trail: one function every package calls, the retention, and forget's erasure."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from referly import config
from referly.audit.models import AuditEvent
from referly.kit.client import client_ip

FORGOTTEN = "forgotten person"
_PLUS_TAG = re.compile(r"\+[^@]*@")


def record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    subject: str = "",
    detail: dict[str, Any] | None = None,
    mentions: Iterable[str | None] = (),
) -> AuditEvent:
    """Record one event. The user defaults to the request's; the address is the request's client address.

    ``mentions`` lists the e-mail addresses of people the event names (besides the actor), so that
    ``referly forget`` can erase them from the trail too.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor = user if isinstance(user, User) else None
    label = _clean(actor_label or (actor.get_username() if actor is not None else ""))
    subject = _clean(subject)
    addresses = {_clean(a).strip().lower() for a in mentions if a and "@" in a}
    if "@" in label:
        addresses.add(label.strip().lower())
    return AuditEvent.objects.create(
        at=timezone.now(),
        kind=kind[:40],
        actor=actor,
        actor_label=label[:254],
        ip=client_ip(request) if request is not None else None,
        subject=subject[:300],
        detail=detail or {},
        mentions=" ".join(sorted(addresses)),
    )


def _clean(text: str) -> str:
    """Text as PostgreSQL can store it: a NUL typed into a form is dropped."""
    return text.replace("\x00", "")


def command_line() -> str:
    """Who acts on the command line: the system account that ran the command."""
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "command line"


def import_detail(files: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What an import did, per file: its name, kind and counts (never the rows themselves)."""
    kept = ("file", "kind", "created", "updated", "unchanged", "rejected", "failure")
    return {"files": [{key: row.get(key) for key in kept} for row in files]}


def retention_days() -> int:
    return config.AUDIT_DAYS.count("days")


def prune(now: datetime, days: int | None = None) -> int:
    """Delete the events older than ``days`` (REFERLY_AUDIT_DAYS by default) before ``now``; how many went."""
    cutoff = now - timedelta(days=days if days is not None else retention_days())
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


def without_plus_tag(address: str) -> str:
    """jane+deals@acme.example is jane@acme.example: one mailbox, one person."""
    return _PLUS_TAG.sub("@", address.strip().lower())


def forget_addresses(addresses: Iterable[str]) -> int:
    """Scrub every event naming one of ``addresses`` (with or without a plus tag): only its kind and time stay.

    The actor becomes "forgotten person"; subject, detail, mentions and client address are emptied.
    """
    wanted = {without_plus_tag(a) for a in addresses if a and "@" in a}
    if not wanted:
        return 0
    near = Q()
    for address in wanted:
        local, _, domain = address.partition("@")
        near |= Q(mentions__contains=local) & Q(mentions__contains="@" + domain)
    ids = [
        event_id
        for event_id, mentions in AuditEvent.objects.filter(near).values_list("id", "mentions")
        if any(without_plus_tag(named) in wanted for named in mentions.split())
    ]
    return AuditEvent.objects.filter(id__in=ids).update(
        actor=None, actor_label=FORGOTTEN, subject="", detail={}, mentions="", ip=None
    )
