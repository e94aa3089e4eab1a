"""Meetings from calendars: which occurrences of which events are touches, with whom, and when. Pure.

- A meeting is a touch between one of us and each outside attendee who did not decline (PARTSTAT
  DECLINED, or DELEGATED: the delegate is listed in their place); an outside organizer counts too.
- An occurrence counts once however many of us attend: its teammate is the organizer when ours, else the
  first of our attendees in address order; known teammates come before other addresses of our domains.
  The choice depends on the event alone, so the same event read from two calendars gives the same touches.
- Recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are expanded by ``recurring-ical-events``
  to their occurrences that started by ``now``; a cancelled event or occurrence (STATUS:CANCELLED) counts
  for nothing.
- Rooms and resources (CUTYPE), non-participants, robots and the calendar system's own addresses
  (``*.calendar.google.com``) are not people. Events without attendees are personal time, not meetings.
- The time of a touch is the occurrence's start in UTC: floating times are in the calendar's
  X-WR-TIMEZONE when it has one, else UTC; an all-day occurrence is at midnight of its day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar, Component

from referly.capture.headers import EARLIEST, Address
from referly.capture.rules import Pair, Skip, Team, domain_of, is_robot, normalise
from referly.crm.models import InteractionKind

MAX_OCCURRENCES = 10_000  # up to now, per event: a minutely rule is not a meeting
MAX_UID = 500  # CapturedEvent.uid's length: a longer UID is kept as its digest
_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE", "GROUP"})  # CUTYPE values that name no one person
_ABSENT = frozenset({"DECLINED", "DELEGATED"})
_SYSTEM_DOMAINS = ("calendar.google.com",)  # group, resource and import calendars, not mailboxes
# The properties an event cannot be placed in time without: a broken one makes the event an error.
_TIMING = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


class MeetingSkip(StrEnum):
    """Why an event made no touch, besides the capture rules' own ``Skip`` reasons."""

    NO_ATTENDEES = "no attendees"
    CANCELLED = "cancelled"
    DECLINED = "declined by everyone outside"
    NOT_YET = "not happened yet"


@dataclass(frozen=True)
class Meeting:
    """One event, all its occurrences up to now: the touches they make, or why they make none."""

    uid: str
    pairs: tuple[Pair, ...]
    skip: str = ""  # a Skip or MeetingSkip when ``pairs`` is empty
    next_at: datetime | None = None  # the first occurrence after now: when the event should be read again


@dataclass(frozen=True)
class BadEvent:
    """An event that cannot be expanded: ``part`` names the property at fault (RRULE, DTSTART …) or VEVENT."""

    uid: str
    part: str
    reason: str


@dataclass(frozen=True)
class _Person:
    address: str
    name: str
    absent: bool  # declined or delegated


def parse(data: bytes) -> list[Calendar]:
    """The calendars of an .ics file; ``ValueError`` when it holds none."""
    if not data.strip():
        raise ValueError("empty file")
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # the parser's errors share no base class (a TZID naming a tz folder: OSError)
        raise ValueError(_reason(exc)) from exc
    found = [c for c in calendars if isinstance(c, Calendar)]
    if not found:
        raise ValueError("no VCALENDAR in the file")
    return found


def meetings(calendar: Calendar, team: Team, now: datetime) -> Iterator[Meeting | BadEvent]:
    """Each event of ``calendar`` (its components grouped by UID), in the file's order. Never raises: what
    cannot be read is a ``BadEvent`` (with no UID when the calendar itself cannot be walked)."""
    events: dict[str, list[Component]] = {}
    try:
        for component in calendar.walk("VEVENT"):
            events.setdefault(event_uid(component), []).append(component)
        zone = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    except Exception as exc:
        yield BadEvent("", "VCALENDAR", _reason(exc))
        return
    known = zone if _zone(zone) is not UTC else None  # an unknown zone name is ignored, not an error per event
    for uid, components in events.items():
        try:
            found = meeting(uid, components, team, now, zone=known)
        except Exception as exc:  # whatever one event holds, it is that event's error, never the capture's
            found = BadEvent(uid, _part(exc), _reason(exc))
        yield found


def event_uid(component: Component) -> str:
    """The event's UID; a digest of its start, organizer and summary when it has none or one too long."""
    uid = str(component.get("UID", "")).strip()
    if uid and len(uid) <= MAX_UID:
        return uid
    if not uid:
        start = component.get("DTSTART")
        uid = "|".join(
            [start.to_ical().decode() if hasattr(start, "to_ical") else str(start)]
            + [str(component.get(p, "")) for p in ("ORGANIZER", "SUMMARY")]
        )
    return "sha256:" + hashlib.sha256(uid.encode("utf-8", "replace")).hexdigest()


def meeting(
    uid: str, components: list[Component], team: Team, now: datetime, *, zone: str | None = None
) -> Meeting | BadEvent:
    """The touches of one event: a master and its overrides (or overrides alone, for a single occurrence)."""
    for component in components:
        for name, reason in getattr(component, "errors", []):
            if str(name).upper() in _TIMING:
                return BadEvent(uid, str(name).upper(), str(reason))
        for rule in _values(component.get("RRULE")):
            problem = _rule_problem(rule)
            if problem:
                return BadEvent(uid, "RRULE", problem)
    master = next((c for c in components if "RECURRENCE-ID" not in c), None)
    if master is not None and _cancelled(master):
        return Meeting(uid, (), MeetingSkip.CANCELLED)
    single = Calendar()
    if zone:
        single.add("X-WR-TIMEZONE", zone)
    for component in components:
        single.add_component(component)
    try:
        past, next_at = _expand(single, _first_start(components, zone), now, zone)
    except Exception as exc:  # the library's errors share no base class: any failure here is this event's
        return BadEvent(uid, _part(exc), _reason(exc))
    if len(past) > MAX_OCCURRENCES:
        return BadEvent(uid, "RRULE", f"more than {MAX_OCCURRENCES:,} occurrences up to now")
    pairs: list[Pair] = []
    skip = ""
    for occurrence, at in past:
        made = MeetingSkip.CANCELLED if _cancelled(occurrence) else occurrence_pairs(occurrence, team, at)
        if isinstance(made, str):
            skip = made
        else:
            pairs.extend(made)
    if pairs:
        return Meeting(uid, tuple(pairs), "", next_at)
    return Meeting(uid, (), skip if past else MeetingSkip.NOT_YET, next_at)


def _expand(
    single: Calendar, start: datetime, now: datetime, zone: str | None
) -> tuple[list[tuple[Component, datetime]], datetime | None]:
    """The occurrences that started by ``now`` (at most one more than the limit), and the next one's start."""
    past: list[tuple[Component, datetime]] = []
    # In start order, from the event's first start: the windows before it are empty.
    for occurrence in recurring_ical_events.of(single).after(start - timedelta(days=1)):
        at = when(occurrence.get("DTSTART"), zone)
        if at > now:
            return past, at
        past.append((occurrence, at))
        if len(past) > MAX_OCCURRENCES:
            break
    return past, None


def _first_start(components: list[Component], zone: str | None) -> datetime:
    starts = [when(c.get("DTSTART"), zone) for c in components if c.get("DTSTART") is not None]
    if not starts:
        raise ValueError("DTSTART is missing")
    return max(min(starts), EARLIEST)


def _rule_problem(rule: Any) -> str:
    """What the parser lets through but the expansion cannot take (INTERVAL=0 would never end)."""
    if not hasattr(rule, "get"):
        return f"not a rule: {str(rule)[:60]!r}"
    if not rule.get("FREQ"):
        return "no FREQ"
    for part in ("INTERVAL", "COUNT"):
        values = _values(rule.get(part))
        if any(not isinstance(v, int) or v < 1 for v in values):
            return f"{part} must be a whole number of at least 1"
    return ""


def _part(exc: Exception) -> str:
    """The property a failed expansion points at, as the library's error names it."""
    kind, text = type(exc).__name__, str(exc)
    if kind == "BadRuleStringFormat" or "RRULE" in text or "rrule" in text:
        return "RRULE"
    if kind == "PeriodEndBeforeStart":
        return "DTEND"
    return next((name for name in _TIMING if name in text), "VEVENT")


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()).replace("\\;", ";")
    return text[:300] or type(exc).__name__


def _cancelled(component: Component) -> bool:
    return str(component.get("STATUS", "")).strip().upper() == "CANCELLED"


def when(prop: Any, zone: str | None = None) -> datetime:
    """An iCalendar DATE or DATE-TIME as an aware UTC time (see the module's rule for floating times)."""
    value = getattr(prop, "dt", prop)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_zone(zone))
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise ValueError(f"not a date or time: {value!r}")


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:  # not found, not a key, or a folder of the tz database ("America": IsADirectoryError)
        return UTC


def occurrence_pairs(event: Component, team: Team, at: datetime) -> list[Pair] | str:
    """The touches of one occurrence: one of us (see the module's rule) with each outside attendee there."""
    attendees = [p for p in (_person(v) for v in _values(event.get("ATTENDEE"))) if p is not None]
    if not attendees:
        return MeetingSkip.NO_ATTENDEES
    organizer = _person(event.get("ORGANIZER"))
    people: dict[str, _Person] = {}
    for person in [*([organizer] if organizer else []), *attendees]:
        seen = people.get(person.address)
        # An attendee line says whether the organizer takes part; a name from any line is kept.
        people[person.address] = (
            person if seen is None else _Person(person.address, seen.name or person.name, seen.absent or person.absent)
        )
    real = {a: p for a, p in people.items() if not _not_a_person(a)}
    if not real:
        return Skip.ROBOT
    teammate = _teammate(real, organizer.address if organizer else "", team)
    if teammate is None:
        return Skip.NOT_OURS
    outside = [p for a, p in sorted(real.items()) if not team.is_ours(a)]
    there = [p for p in outside if not p.absent]
    if not there:
        return MeetingSkip.DECLINED if outside else Skip.INTERNAL
    ours: Address = (teammate.address, teammate.name)
    return [Pair(ours, (p.address, p.name), InteractionKind.MEETING, at) for p in there]


def _teammate(people: dict[str, _Person], organizer: str, team: Team) -> _Person | None:
    present = [p for a, p in people.items() if team.is_ours(a) and not p.absent]
    # The organizer first, then attendees by address; someone known as a teammate before other addresses of ours.
    present.sort(key=lambda p: (p.address not in team.addresses, p.address != organizer, p.address))
    return present[0] if present else None


def _not_a_person(address: str) -> bool:
    domain = domain_of(address)
    return is_robot(address) or any(domain == d or domain.endswith("." + d) for d in _SYSTEM_DOMAINS)


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _person(value: Any) -> _Person | None:
    """An ORGANIZER or ATTENDEE line as a person; None for a room, a non-participant or no address."""
    if value is None:
        return None
    params = getattr(value, "params", {})
    if str(params.get("CUTYPE", "")).upper() in _NOT_PEOPLE or str(params.get("ROLE", "")).upper() == (
        "NON-PARTICIPANT"
    ):
        return None
    address = str(value).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    address = normalise(address)
    if "@" not in address or " " in address:
        return None
    name = str(params.get("CN", "")).strip().strip('"').strip()
    return _Person(address, "" if "@" in name else name, str(params.get("PARTSTAT", "")).upper() in _ABSENT)
