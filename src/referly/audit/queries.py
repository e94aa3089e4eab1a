"""Reading the audit trail: the events a filter keeps, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from referly.audit.models import AuditEvent
from referly.errors import InvalidInput


@dataclass(frozen=True)
class EventFilter:
    """What an admin looks for: a kind (or its start, e.g. ``login.``), an actor, days, words of the subject."""

    kind: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""

    def as_detail(self) -> dict[str, str]:
        """The filter as the trail records it (for the export of the trail itself)."""
        return {k: str(v) for k, v in asdict(self).items() if v}


def _day(text: str, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _("%(text)s is not a date like 2026-12-31") % {"text": text}, field=field, code="bad_date"
        ) from None


def parse_filter(values: Mapping[str, str]) -> EventFilter:
    """The filter from a form's or a command's values (``kind``, ``actor``, ``since``, ``until``, ``q``)."""

    def typed(name: str, most: int) -> str:
        return values.get(name, "").replace("\x00", "").strip()[:most]  # PostgreSQL refuses a NUL in a query

    found = EventFilter(
        kind=typed("kind", 40),
        actor=typed("actor", 254),
        since=_day(typed("since", 40), "since"),
        until=_day(typed("until", 40), "until"),
        text=typed("q", 300),
    )
    if found.since and found.until and found.since > found.until:
        raise InvalidInput(_("The first day comes after the last one"), field="since", code="bad_range")
    return found


def events(wanted: EventFilter = EventFilter()) -> QuerySet[AuditEvent]:
    """The events ``wanted`` keeps, newest first; days are those of REFERLY_TIME_ZONE."""
    found = AuditEvent.objects.all()
    if wanted.kind:
        found = found.filter(kind__startswith=wanted.kind.lower())
    if wanted.actor:
        found = found.filter(actor_label__icontains=wanted.actor)
    if wanted.since:
        found = found.filter(at__date__gte=wanted.since)
    if wanted.until:
        found = found.filter(at__date__lte=wanted.until)
    if wanted.text:
        found = found.filter(subject__icontains=wanted.text)
    return found.order_by("-at", "-id")


def kinds() -> list[str]:
    """Every kind the trail holds, for the filter's suggestions."""
    return sorted(AuditEvent.objects.values_list("kind", flat=True).distinct())
