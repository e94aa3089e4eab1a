"""The meeting rules on real calendar shapes: who a meeting is with, which occurrences count, what is skipped.

The calendars below are written the way each application exports them (their documented formats):
- Google Calendar's "Export" (Settings > Import & export; one .ics per calendar in a zip): PRODID
  "-//Google Inc//Google Calendar 70.9054//EN", X-WR-CALNAME and X-WR-TIMEZONE, a VTIMEZONE with
  X-LIC-LOCATION, attendees with CUTYPE/ROLE/PARTSTAT/X-NUM-GUESTS, rooms as CUTYPE=RESOURCE at
  resource.calendar.google.com, moved or cancelled occurrences as RECURRENCE-ID overrides.
- Outlook's "Save Calendar" / Exchange (MS-OXCICAL): PRODID "-//Microsoft Corporation//Outlook 16.0
  MIMEDIR//EN", Windows time-zone names as TZID ("Romance Standard Time") defined by a VTIMEZONE starting
  in 1601, X-MICROSOFT-CDO-* and X-MS-OLK-* fields, the long hexadecimal UID of a Global Object ID.
- Thunderbird/Lightning's "Export Calendar": PRODID "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
  ORGANIZER with ROLE=CHAIR and PARTSTAT, X-MOZ-* fields, a VALARM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, vCalAddress

from referly.capture import meetings as meetings_module
from referly.capture.meetings import BadEvent, Meeting, MeetingSkip, meetings, parse
from referly.capture.rules import Pair, Skip, Team, is_robot
from referly.crm.models import InteractionKind

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TEAM = Team(frozenset({"northbeam.example"}), frozenset({"alice@northbeam.example", "carl@northbeam.example"}))


def ics(text: str) -> str:
    """Calendar text with the CRLF line ends RFC 5545 requires (and exports have)."""
    return "\r\n".join(line for line in text.strip().splitlines()) + "\r\n"


# Alice's calendar, exported from Google Calendar: a weekly meeting with Acme at 10:00 Paris time, one
# occurrence removed (EXDATE), one moved to Tuesday afternoon with Sam joining, one cancelled; Bob declined.
GOOGLE = ics("""
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:alice@northbeam.example
X-WR-TIMEZONE:Europe/Paris
BEGIN:VTIMEZONE
TZID:Europe/Paris
X-LIC-LOCATION:Europe/Paris
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:20260907T100000
DTEND;TZID=Europe/Paris:20260907T103000
RRULE:FREQ=WEEKLY;WKST=MO;COUNT=8;BYDAY=MO
EXDATE;TZID=Europe/Paris:20260921T100000
DTSTAMP:20261207T110000Z
ORGANIZER;CN=Alice Martin:mailto:alice@northbeam.example
UID:5k3q9v0c1m2n3b4v5c6x7z8a9s@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Alice M
 artin;X-NUM-GUESTS=0:mailto:alice@northbeam.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jane Ro
 e;X-NUM-GUESTS=0:mailto:jane@acme.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED;CN=Bob Sto
 ne;X-NUM-GUESTS=0:mailto:bob@globex.example
ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Paris-3-S
 alle Orion (8);X-NUM-GUESTS=0:mailto:c_1889ab3kq0g3cjuhn6m2e1eo8@resource.c
 alendar.google.com
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij
CREATED:20260901T090000Z
DESCRIPTION:Weekly sync with Acme.
LAST-MODIFIED:20261001T090000Z
LOCATION:Paris-3-Salle Orion (8)
SEQUENCE:2
STATUS:CONFIRMED
SUMMARY:Acme weekly
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:20260929T150000
DTEND;TZID=Europe/Paris:20260929T153000
DTSTAMP:20261207T110000Z
ORGANIZER;CN=Alice Martin:mailto:alice@northbeam.example
UID:5k3q9v0c1m2n3b4v5c6x7z8a9s@google.com
RECURRENCE-ID;TZID=Europe/Paris:20260928T100000
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Alice M
 artin;X-NUM-GUESTS=0:mailto:alice@northbeam.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jane Ro
 e;X-NUM-GUESTS=0:mailto:jane@acme.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE;CN=Sam Po
 e;X-NUM-GUESTS=0:mailto:sam@acme.example
CREATED:20260901T090000Z
LAST-MODIFIED:20260925T090000Z
SEQUENCE:3
STATUS:CONFIRMED
SUMMARY:Acme weekly (moved)
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:20261005T100000
DTEND;TZID=Europe/Paris:20261005T103000
DTSTAMP:20261207T110000Z
ORGANIZER;CN=Alice Martin:mailto:alice@northbeam.example
UID:5k3q9v0c1m2n3b4v5c6x7z8a9s@google.com
RECURRENCE-ID;TZID=Europe/Paris:20261005T100000
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jane Ro
 e;X-NUM-GUESTS=0:mailto:jane@acme.example
SEQUENCE:3
STATUS:CANCELLED
SUMMARY:Acme weekly
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261012
DTEND;VALUE=DATE:20261013
DTSTAMP:20261207T110000Z
UID:0a1b2c3d4e5f6g7h8i9j@google.com
CREATED:20260901T090000Z
SUMMARY:Out of office
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
""")
# Weekly on Mondays 10:00 Paris from 7 September 2026 (8 occurrences): 21 Sept excluded, 28 Sept moved to
# Tuesday 29 at 15:00, 5 Oct cancelled. Summer time (UTC+2) until 25 October, then UTC+1.
GOOGLE_OCCURRENCES = [
    datetime(2026, 9, 7, 8, 0, tzinfo=UTC),
    datetime(2026, 9, 14, 8, 0, tzinfo=UTC),
    datetime(2026, 9, 29, 13, 0, tzinfo=UTC),
    datetime(2026, 10, 12, 8, 0, tzinfo=UTC),
    datetime(2026, 10, 19, 8, 0, tzinfo=UTC),
    datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
]
GOOGLE_UID = "5k3q9v0c1m2n3b4v5c6x7z8a9s@google.com"

# Jane (Acme) invited Carl and Alice from Outlook; saved from Outlook as an .ics file.
OUTLOOK = ics("""
BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;CN="Carl Petit";RSVP=TRUE:mailto:carl@northbeam.example
ATTENDEE;CN="Alice Martin";RSVP=TRUE:mailto:alice@northbeam.example
ATTENDEE;CN="Dana Lee";ROLE=OPT-PARTICIPANT;RSVP=TRUE:mailto:dana@acme.examp
 le
CLASS:PUBLIC
CREATED:20261101T101500Z
DESCRIPTION:Quarterly business review\\n
DTEND;TZID="Romance Standard Time":20261104T153000
DTSTAMP:20261101T101500Z
DTSTART;TZID="Romance Standard Time":20261104T143000
LAST-MODIFIED:20261101T101500Z
LOCATION:Teams
ORGANIZER;CN="Jane Roe":mailto:jane@acme.example
PRIORITY:5
SEQUENCE:0
SUMMARY;LANGUAGE=fr-fr:QBR Acme
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E0080000000050A4F1B8E14DDB01000000000000000
 010000000A38DFF4F7A1C2D4E8F3B6A7C5D2E1F0A
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MS-OLK-AUTOFILLLOCATION:FALSE
X-MS-OLK-CONFTYPE:0
BEGIN:VALARM
TRIGGER:-PT15M
ACTION:DISPLAY
DESCRIPTION:Reminder
END:VALARM
END:VEVENT
END:VCALENDAR
""")

# Carl's meeting, exported from Thunderbird: Jane has not answered yet (she counts), Bob declined.
THUNDERBIRD = ics("""
BEGIN:VCALENDAR
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
CREATED:20261020T081500Z
LAST-MODIFIED:20261020T081742Z
DTSTAMP:20261020T081742Z
UID:8a1f6c3e-2b4d-4f7a-9c1e-3d5b7a9c1e2f
SUMMARY:Globex and Acme intro
ORGANIZER;RSVP=TRUE;CN=Carl Petit;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:carl@
 northbeam.example
ATTENDEE;RSVP=TRUE;CN=Carl Petit;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:carl@n
 orthbeam.example
ATTENDEE;RSVP=TRUE;CN=Jane Roe;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:m
 ailto:jane@acme.example
ATTENDEE;RSVP=TRUE;CN=Bob Stone;PARTSTAT=DECLINED;ROLE=REQ-PARTICIPANT:mail
 to:bob@globex.example
X-MOZ-SEND-INVITATIONS:TRUE
X-MOZ-SEND-INVITATIONS-UNDISCLOSED:FALSE
DTSTART;TZID=Europe/Berlin:20261022T090000
DTEND;TZID=Europe/Berlin:20261022T100000
SEQUENCE:1
X-MOZ-GENERATION:2
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;VALUE=DURATION:-PT15M
DESCRIPTION:Default Mozilla Description
END:VALARM
END:VEVENT
END:VCALENDAR
""")


def vevent(uid: str, body: str, *, start: str = "20261103T090000Z", zone: str = "") -> str:
    """A one-event calendar: ``body`` holds its ORGANIZER, ATTENDEE, RRULE or STATUS lines."""
    head = f"X-WR-TIMEZONE:{zone}\n" if zone else ""
    return ics(
        f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Referly tests//EN\n{head}BEGIN:VEVENT\nUID:{uid}\n"
        f"DTSTAMP:20261101T000000Z\nDTSTART:{start}\nDURATION:PT1H\n{body.strip()}\nEND:VEVENT\nEND:VCALENDAR"
    )


def found(text: str, now: datetime = NOW, team: Team = TEAM) -> list[Meeting | BadEvent]:
    return [m for calendar in parse(text.encode()) for m in meetings(calendar, team, now)]


def one(text: str, now: datetime = NOW) -> Meeting:
    (event,) = found(text, now)
    assert isinstance(event, Meeting), event
    return event


def touches(meeting: Meeting) -> list[tuple[str, str, datetime]]:
    return [(p.ours[0], p.theirs[0], p.at) for p in meeting.pairs]


def test_a_google_weekly_meeting_counts_each_held_occurrence_with_each_attendee_who_came() -> None:
    weekly, out_of_office = found(GOOGLE)
    assert isinstance(weekly, Meeting) and weekly.uid == GOOGLE_UID
    jane = [("alice@northbeam.example", "jane@acme.example", at) for at in GOOGLE_OCCURRENCES]
    sam = [("alice@northbeam.example", "sam@acme.example", GOOGLE_OCCURRENCES[2])]  # only the moved one
    assert sorted(touches(weekly)) == sorted(jane + sam)  # Bob declined; the room is no one; 21/9 and 5/10 not
    assert {p.kind for p in weekly.pairs} == {InteractionKind.MEETING}
    assert {p.theirs[1] for p in weekly.pairs} == {"Jane Roe", "Sam Poe"}
    assert weekly.next_at is None  # all eight are past
    assert out_of_office == Meeting("0a1b2c3d4e5f6g7h8i9j@google.com", (), MeetingSkip.NO_ATTENDEES)


def test_occurrences_count_up_to_now_only_and_the_next_one_is_known() -> None:
    weekly = found(GOOGLE, now=datetime(2026, 10, 13, tzinfo=UTC))[0]
    assert isinstance(weekly, Meeting)
    assert sorted({at for _, _, at in touches(weekly)}) == GOOGLE_OCCURRENCES[:4]
    assert weekly.next_at == GOOGLE_OCCURRENCES[4]
    before = found(GOOGLE, now=datetime(2026, 9, 1, tzinfo=UTC))[0]
    assert before == Meeting(GOOGLE_UID, (), MeetingSkip.NOT_YET, GOOGLE_OCCURRENCES[0])


def test_an_outlook_invitation_from_a_client_uses_windows_time_zones_and_our_first_attendee() -> None:
    meeting = one(OUTLOOK)
    at = datetime(2026, 11, 4, 13, 30, tzinfo=UTC)  # 14:30 in Paris in November: UTC+1
    # The organizer is theirs: the touch goes to the first of us by address, Alice before Carl.
    assert touches(meeting) == [
        ("alice@northbeam.example", "dana@acme.example", at),
        ("alice@northbeam.example", "jane@acme.example", at),
    ]
    assert meeting.uid.startswith("040000008200E00074C5B7101A82E008") and len(meeting.uid) > 100


def test_a_thunderbird_meeting_counts_who_has_not_answered_but_not_who_declined() -> None:
    meeting = one(THUNDERBIRD)
    assert touches(meeting) == [
        ("carl@northbeam.example", "jane@acme.example", datetime(2026, 10, 22, 7, 0, tzinfo=UTC))
    ]


def test_the_same_event_in_two_teammates_calendars_makes_the_same_touches() -> None:
    alices_copy = vevent(
        "qbr-1",
        "ORGANIZER:mailto:jane@acme.example\nATTENDEE;PARTSTAT=ACCEPTED:mailto:carl@northbeam.example\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@northbeam.example\nATTENDEE;PARTSTAT=ACCEPTED:mailto:jane@acme.example",
    )
    carls_copy = vevent(  # the same invitation, attendees in another order, as Carl's calendar lists them
        "qbr-1",
        "ORGANIZER:mailto:jane@acme.example\nATTENDEE;PARTSTAT=ACCEPTED:mailto:jane@acme.example\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:Alice@Northbeam.example\nATTENDEE:mailto:carl@northbeam.example",
    )
    assert touches(one(alices_copy)) == touches(one(carls_copy))
    assert touches(one(alices_copy))[0][:2] == ("alice@northbeam.example", "jane@acme.example")


def test_the_organizer_is_the_teammate_when_ours_and_a_known_teammate_before_another_address_of_ours() -> None:
    by_carl = vevent(
        "m1",
        "ORGANIZER:mailto:carl@northbeam.example\nATTENDEE:mailto:alice@northbeam.example\n"
        "ATTENDEE:mailto:jane@acme.example",
    )
    assert touches(one(by_carl))[0][0] == "carl@northbeam.example"
    by_a_colleague_not_in_referly = vevent(
        "m2",
        "ORGANIZER:mailto:aaron@northbeam.example\nATTENDEE:mailto:carl@northbeam.example\n"
        "ATTENDEE:mailto:jane@acme.example",
    )
    assert touches(one(by_a_colleague_not_in_referly))[0][0] == "carl@northbeam.example"
    a_teammate_who_declined = vevent(
        "m3",
        "ORGANIZER:mailto:jane@acme.example\nATTENDEE;PARTSTAT=DECLINED:mailto:alice@northbeam.example\n"
        "ATTENDEE:mailto:carl@northbeam.example",
    )
    assert touches(one(a_teammate_who_declined)) == [
        ("carl@northbeam.example", "jane@acme.example", datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    ]


def test_events_that_are_no_meeting_with_someone_outside_are_skipped_with_the_reason() -> None:
    cases = {
        "none of us": ("ORGANIZER:mailto:jane@acme.example\nATTENDEE:mailto:bob@globex.example", Skip.NOT_OURS),
        "internal": (
            "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:carl@northbeam.example",
            Skip.INTERNAL,
        ),
        "everyone outside declined": (
            "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE;PARTSTAT=DECLINED:mailto:jane@acme.example",
            MeetingSkip.DECLINED,
        ),
        "a cancelled event": (
            "STATUS:CANCELLED\nORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example",
            MeetingSkip.CANCELLED,
        ),
        "only a robot and a room": (
            "ORGANIZER:mailto:calendar-notification@google.com\nATTENDEE:mailto:alice@northbeam.example\n"
            "ATTENDEE;CUTYPE=ROOM:mailto:room-4@northbeam.example",
            Skip.INTERNAL,
        ),
        "no one invited": ("ORGANIZER:mailto:alice@northbeam.example", MeetingSkip.NO_ATTENDEES),
    }
    for case, (body, skip) in cases.items():
        assert one(vevent(case, body)) == Meeting(case, (), skip), case
    robot_invite = one(
        vevent(
            "robot",
            "ORGANIZER:mailto:calendar-notification@google.com\nATTENDEE:mailto:alice@northbeam.example\n"
            "ATTENDEE:mailto:jane@acme.example",
        )
    )
    assert [t[1] for t in touches(robot_invite)] == ["jane@acme.example"]  # the robot is no one, Jane is


def test_an_all_day_event_with_guests_is_a_meeting_on_its_day_and_floating_times_follow_x_wr_timezone() -> None:
    offsite = one(
        vevent(
            "offsite",
            "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example",
            start="20261105",
        ).replace("DTSTART:20261105", "DTSTART;VALUE=DATE:20261105")
    )
    assert touches(offsite)[0][2] == datetime(2026, 11, 5, tzinfo=UTC)
    floating = one(
        vevent(
            "floating",
            "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example",
            start="20261105T090000",
            zone="America/New_York",
        )
    )
    assert touches(floating)[0][2] == datetime(2026, 11, 5, 14, 0, tzinfo=UTC)
    unknown_zone = one(
        vevent(
            "mars",
            "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example",
            start="20261105T090000",
            zone="Mars/Olympus_Mons",
        )
    )
    assert touches(unknown_zone)[0][2] == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # ignored: UTC, not an error


def test_a_broken_recurrence_is_an_error_naming_the_rule_and_the_other_events_still_count() -> None:
    text = GOOGLE.replace("RRULE:FREQ=WEEKLY;WKST=MO;COUNT=8;BYDAY=MO", "RRULE:FREQ=WEEKLY;BYDAY=MO;INTERVAL=0")
    weekly, out_of_office = found(text)
    assert weekly == BadEvent(GOOGLE_UID, "RRULE", "INTERVAL must be a whole number of at least 1")
    assert isinstance(out_of_office, Meeting)
    (garbled,) = found(vevent("g", "RRULE:FREQ=FORTNIGHTLY\nATTENDEE:mailto:jane@acme.example"))
    assert isinstance(garbled, BadEvent) and (garbled.part, garbled.uid) == ("RRULE", "g")
    assert "FORTNIGHTLY" in garbled.reason
    (minutely,) = found(vevent("m", "RRULE:FREQ=MINUTELY\nATTENDEE:mailto:jane@acme.example"))
    assert minutely == BadEvent("m", "RRULE", "more than 10,000 occurrences up to now")
    (no_start,) = found(vevent("s", "ATTENDEE:mailto:jane@acme.example").replace("DTSTART:20261103T090000Z\r\n", ""))
    assert isinstance(no_start, BadEvent) and no_start.part == "DTSTART"


def test_an_event_without_uid_gets_a_stable_key_and_a_file_without_calendar_is_refused() -> None:
    text = vevent("x", "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example")
    text = text.replace("UID:x\r\n", "")
    assert one(text).uid == one(text).uid and one(text).uid.startswith("sha256:")
    for bad in (b"", b"hello, not a calendar\r\n"):
        try:
            parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was read as a calendar")


# --- the invariant, on any event ---------------------------------------------------------------------------------

OURS = ["alice@northbeam.example", "Alice@NorthBeam.example", "carl+cal@northbeam.example", "aaron@northbeam.example"]
THEIRS = ["jane@acme.example", "JANE@acme.example", "bob@globex.example", "sam+x@acme.example", "lee@gmail.com"]
NOT_PEOPLE = ["calendar-notification@google.com", "noreply@acme.example", "c_12ab@resource.calendar.google.com"]
STATUSES = ["ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED", ""]
people = st.tuples(st.sampled_from(OURS + THEIRS + NOT_PEOPLE), st.sampled_from(STATUSES), st.booleans())


def normal(address: str) -> str:
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+')[0]}@{domain}"


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Calendar, list[tuple[str, str, bool]], str | None]:
    attendees = draw(st.lists(people, max_size=7))
    organizer = draw(st.none() | st.sampled_from(OURS + THEIRS + NOT_PEOPLE))
    event = Event()
    event.add("uid", "prop@test")
    event.add("dtstamp", NOW)
    event.add("dtstart", datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 10**6))))
    event.add("duration", timedelta(minutes=30))
    if draw(st.booleans()):
        event.add(
            "rrule", {"freq": draw(st.sampled_from(["daily", "weekly", "monthly"])), "count": draw(st.integers(1, 6))}
        )
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for address, status, room in attendees:
        line = vCalAddress(f"mailto:{address}")
        if status:
            line.params["PARTSTAT"] = status
        if room:
            line.params["CUTYPE"] = "ROOM"
        event.add("attendee", line)
    calendar = Calendar()
    calendar.add("prodid", "-//Referly tests//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar, attendees, organizer


@settings(max_examples=200)
@given(calendars())
def test_each_occurrence_is_one_touch_per_outside_attendee_there_and_never_with_us_robots_or_who_declined(
    drawn: tuple[Calendar, list[tuple[str, str, bool]], str | None],
) -> None:
    calendar, attendees, organizer = drawn
    team = Team(frozenset({"northbeam.example"}), frozenset({"alice@northbeam.example"}))
    (event,) = list(meetings(calendar, team, NOW))
    assert isinstance(event, Meeting)
    listed = [(normal(a), s) for a, s, room in attendees if not room]
    absent = {a for a, s in listed if s in {"DECLINED", "DELEGATED"}}
    invited = {a for a, _ in listed} | ({normal(organizer)} if organizer and listed else set())
    people = {a for a in invited if not is_robot(a) and not a.endswith("calendar.google.com")}
    outside = {a for a in people if not a.endswith("@northbeam.example")} - absent
    present = {a for a in people if a.endswith("@northbeam.example")} - absent
    by_time: dict[datetime, list[Pair]] = {}
    for pair in event.pairs:
        by_time.setdefault(pair.at, []).append(pair)
    for at, pairs in by_time.items():
        theirs = [p.theirs[0] for p in pairs]
        assert len(theirs) == len(set(theirs)), f"two touches with one person at {at}"
        assert set(theirs) == outside  # exactly the outside people there: never us, a robot or who declined
        assert len({p.ours for p in pairs}) == 1  # one of us per occurrence, however many attend
        assert pairs[0].ours[0] in present
    if not event.pairs:
        assert event.skip == MeetingSkip.NOT_YET or not outside or not present


@pytest.mark.parametrize("folder", ["America", "Etc", "Europe"])
def test_a_time_zone_naming_a_folder_of_the_tz_database_is_ignored_or_a_named_error_never_a_crash(folder: str) -> None:
    body = "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example"
    floating = one(vevent("f", body, start="20261105T090000", zone=folder))
    assert touches(floating)[0][2] == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # X-WR-TIMEZONE ignored: UTC
    with pytest.raises(ValueError, match="directory"):
        parse(vevent("t", body).replace("DTSTART:20261103T090000Z", f"DTSTART;TZID={folder}:20261103T090000").encode())


def test_any_failure_inside_one_event_is_that_events_error_and_the_next_event_still_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = meetings_module.occurrence_pairs

    def flaky(event: Any, team: Team, at: datetime) -> Any:
        if str(event.get("UID")) == "bad":
            raise IsADirectoryError(21, "Is a directory")
        return real(event, team, at)

    monkeypatch.setattr(meetings_module, "occurrence_pairs", flaky)
    body = "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:jane@acme.example"
    text = (
        vevent("bad", body).replace("END:VCALENDAR\r\n", "")
        + vevent("good", body).split("PRODID:-//Referly tests//EN\r\n")[1]
    )
    bad, good = found(text)
    assert bad == BadEvent("bad", "VEVENT", "[Errno 21] Is a directory")
    assert isinstance(good, Meeting) and good.pairs
