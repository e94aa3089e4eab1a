"""Filters the dashboard templates share."""

from __future__ import annotations

from typing import Any

from django import template

from referly.access.roles import Permission
from referly.web import wording

register = template.Library()


@register.filter
def may(who: Any, permission: str) -> bool:
    """``request.actor|may:"import"``: does the person's role grant this permission?"""
    return bool(who is not None and hasattr(who, "may") and who.may(Permission(permission)))


@register.filter
def stage_label(code: str) -> str:
    return str(wording.STAGE_LABELS.get(code, code))


@register.filter
def credit_label(code: str) -> str:
    return str(wording.CREDIT_LABELS.get(code, code))


@register.filter
def channel_label(code: str) -> str:
    return str(wording.CHANNEL_LABELS.get(code, code))


@register.filter
def role_label(code: str) -> str:
    return str(wording.ROLE_LABELS.get(code, code))
