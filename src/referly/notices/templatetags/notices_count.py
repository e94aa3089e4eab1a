"""``{% unread_notices request.actor %}``: the number of unread notifications, for the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from referly.access.services import Actor
from referly.notices.queries import unread_count

register = template.Library()


@register.simple_tag
def unread_notices(who: Any) -> int:
    return unread_count(who) if isinstance(who, Actor) else 0
