"""Telling a teammate something once: a notice in the app (and, later, in their digest)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from referly.crm.models import Teammate
from referly.notices.models import Notice


def notify(teammate: Teammate, kind: str, text: str, url: str, key: str, now: datetime) -> Notice:
    """The notice of ``kind`` about ``key`` for ``teammate``: created once, the same one when told again."""
    notice, _ = Notice.objects.get_or_create(
        teammate=teammate, kind=kind, key=key[:120], defaults={"text": text[:500], "url": url[:300], "created_at": now}
    )
    return notice


def mark_read(notices: QuerySet[Notice], now: datetime) -> int:
    """Mark ``notices`` read (those not read yet); how many."""
    return notices.filter(read_at__isnull=True).update(read_at=now)
