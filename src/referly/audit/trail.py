"""Writing to the audit trail: one function every package calls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.http import HttpRequest
from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.kit.client import client_ip


def record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    subject: str = "",
    detail: dict[str, Any] | None = None,
    mentions: Iterable[str] = (),
) -> AuditEvent:
    """Record one event. The user defaults to the request's; the address is the request's client address.

    ``mentions`` lists the e-mail addresses of people the event names (besides the actor), so that
    ``referly forget`` can erase them from the trail too.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor = user if isinstance(user, User) else None
    label = actor_label or (actor.get_username() if actor is not None else "")
    addresses = {a.strip().lower() for a in mentions if a and "@" in a}
    if "@" in label:
        addresses.add(label.lower())
    return AuditEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        actor=actor,
        actor_label=label[:254],
        ip=client_ip(request) if request is not None else None,
        subject=subject[:300],
        detail=detail or {},
        mentions=" ".join(sorted(addresses)),
    )
