"""Reads of notices, scoped to the person who asks: everyone sees only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from referly.access.services import Actor
from referly.errors import NotFound
from referly.notices.models import Notice


def mine(who: Actor) -> QuerySet[Notice]:
    """The notices of ``who``'s teammate record, newest first (none without one)."""
    if who.teammate_id is None:
        return Notice.objects.none()
    return Notice.objects.filter(teammate_id=who.teammate_id).order_by("-created_at", "-id")


def unread_count(who: Actor) -> int:
    return mine(who).filter(read_at__isnull=True).count()


def my_notice(who: Actor, notice_id: int) -> Notice:
    found = mine(who).filter(pk=notice_id).first()
    if found is None:
        raise NotFound(f"No notification {notice_id} for you", code="notice_not_found")
    return found
