"""Filters the dashboard templates share."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

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


@register.filter
def quantity(value: Any, decimals: int = 0) -> Any:
    """An amount or a count in the page's language, grouped by thousands: 80,880,000 in English,
    80 880 000 in French. Anything that is not a number (a word, nothing) is shown as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    return number_format(
        round(value, decimals) if decimals else round(value), decimal_pos=decimals, force_grouping=True
    )


# How the CRMs we read spell their own names (the presets and records keep them in lower case).
SYSTEM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "pipedrive": "Pipedrive", "demo": "demo"}


@register.filter
def system_name(code: str) -> str:
    """``hubspot`` → HubSpot: a CRM's name as its maker writes it."""
    return SYSTEM_NAMES.get(str(code).lower(), str(code))
