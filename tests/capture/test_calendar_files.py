"""Capturing calendar files: meetings land once, updates replace what an event made, errors are named."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from referly.capture import calendar as calendar_module
from referly.capture.calendar import capture_calendars
from referly.capture.calendar_commands import calendar
from referly.capture.models import CapturedEvent
from referly.crm.models import Contact, Interaction, InteractionKind
from tests.capture.test_meetings import (
    GOOGLE,
    GOOGLE_OCCURRENCES,
    GOOGLE_UID,
    NOW,
    OUTLOOK,
    THUNDERBIRD,
    vevent,
)
from tests.factories import make_account, make_contact, make_teammate

MEETING = InteractionKind.MEETING
MOVED_TO = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Alice and Carl at Northbeam; Jane and Dana at Acme; Globex is an account with Bob."""
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    monkeypatch.delenv("REFERLY_CAPTURE_BLOCKLIST", raising=False)
    acme, globex = make_account("Acme", domain="acme.example"), make_account("Globex", domain="globex.example")
    return {
        "alice": make_teammate("Alice Martin", email="alice@northbeam.example"),
        "carl": make_teammate("Carl Petit", email="carl@northbeam.example"),
        "jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example"),
        "bob": make_contact(globex, first_name="Bob", last_name="Stone", email="bob@globex.example"),
        "acme": acme,
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def meetings_with(contact: Any) -> list[tuple[str, datetime]]:
    rows = Interaction.objects.filter(contact=contact, kind=MEETING).order_by("occurred_at")
    return [(r.teammate.email or "", r.occurred_at) for r in rows]


def qbr(
    start: str = "20261103T090000Z", attendees: str = "jane@acme.example,bob@globex.example", status: str = ""
) -> str:
    """Alice's QBR with Acme, as its successive versions are exported."""
    lines = ["ORGANIZER;CN=Alice Martin:mailto:alice@northbeam.example"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees.split(",")]
    lines += [f"STATUS:{status}"] if status else []
    return vevent("qbr-2026@northbeam.example", "\n".join(lines), start=start)


def test_exports_from_google_outlook_and_thunderbird_become_meetings_and_a_second_capture_adds_nothing(
    world: dict[str, Any], tmp_path: Path
) -> None:
    files = [
        write(tmp_path / "alice@northbeam.example.ics", GOOGLE),
        write(tmp_path / "QBR Acme.ics", OUTLOOK),
        write(tmp_path / "carl.ics", THUNDERBIRD),
    ]
    first = capture_calendars(files, now=NOW, strict=False, dry_run=False)
    alice, carl = "alice@northbeam.example", "carl@northbeam.example"
    assert meetings_with(world["jane"]) == sorted(
        [(alice, at) for at in GOOGLE_OCCURRENCES]
        + [(carl, datetime(2026, 10, 22, 7, 0, tzinfo=UTC)), (alice, datetime(2026, 11, 4, 13, 30, tzinfo=UTC))],
        key=lambda t: t[1],
    )
    assert meetings_with(world["bob"]) == []  # he declined every time
    dana = Contact.objects.get(email="dana@acme.example")  # new at a known account: captured from Outlook
    assert (dana.first_name, dana.last_name, dana.source_system) == ("Dana", "Lee", "capture")
    sam = Contact.objects.get(email="sam@acme.example")
    assert meetings_with(sam) == [(alice, GOOGLE_OCCURRENCES[2])]  # came to the moved occurrence only
    assert (first.read, first.captured, first.added, first.files) == (4, 3, 10, 3)
    assert dict(first.skipped) == {"no attendees": 1} and first.errors == []
    assert first.accounted == first.read
    assert CapturedEvent.objects.get(uid=GOOGLE_UID).touches[0] == [world["jane"].pk, world["alice"].pk,
                                                                     GOOGLE_OCCURRENCES[0].isoformat()]  # fmt: skip

    again = capture_calendars(files, now=NOW, strict=False, dry_run=False)
    assert (again.read, again.captured, again.added, again.removed) == (4, 3, 0, 0)  # type: ignore[attr-defined]
    assert Interaction.objects.filter(kind=MEETING).count() == 10


def test_an_event_moved_changed_or_cancelled_replaces_its_touches_and_never_counts_twice(
    world: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "alice.ics"
    capture_calendars([write(path, qbr())], now=NOW, strict=False, dry_run=False)
    first = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert meetings_with(world["jane"]) == meetings_with(world["bob"]) == [("alice@northbeam.example", first)]

    moved = capture_calendars([write(path, qbr(start="20261103T150000Z"))], now=NOW, strict=False, dry_run=False)
    assert meetings_with(world["jane"]) == meetings_with(world["bob"]) == [("alice@northbeam.example", MOVED_TO)]
    assert (moved.added, moved.removed) == (2, 2)  # type: ignore[attr-defined]

    without_bob = capture_calendars(
        [write(path, qbr(start="20261103T150000Z", attendees="jane@acme.example"))],
        now=NOW,
        strict=False,
        dry_run=False,
    )
    assert meetings_with(world["bob"]) == [] and len(meetings_with(world["jane"])) == 1
    assert (without_bob.added, without_bob.removed) == (0, 1)  # type: ignore[attr-defined]

    cancelled = capture_calendars(
        [write(path, qbr(start="20261103T150000Z", status="CANCELLED"))], now=NOW, strict=False, dry_run=False
    )
    assert meetings_with(world["jane"]) == [] and not CapturedEvent.objects.exists()
    assert dict(cancelled.skipped) == {"cancelled": 1} and cancelled.removed == 1  # type: ignore[attr-defined]


def test_the_same_meeting_in_two_teammates_exports_counts_once(world: dict[str, Any], tmp_path: Path) -> None:
    alices = write(tmp_path / "alice.ics", qbr())
    carls = write(
        tmp_path / "carl.ics", qbr().replace("ATTENDEE;PARTSTAT=ACCEPTED:mailto:jane", "ATTENDEE:mailto:jane")
    )
    summary = capture_calendars([alices, carls], now=NOW, strict=False, dry_run=False)
    assert (summary.read, summary.captured, summary.duplicates, summary.added) == (2, 1, 1, 2)
    later = capture_calendars([carls], now=NOW, strict=False, dry_run=False)  # Carl's copy alone, later
    assert (later.added, later.removed) == (0, 0)  # type: ignore[attr-defined]
    assert len(meetings_with(world["jane"])) == 1


def test_a_broken_rule_or_file_is_a_named_error_and_strict_refuses_everything(
    world: dict[str, Any], tmp_path: Path
) -> None:
    broken = write(tmp_path / "broken.ics", GOOGLE.replace("COUNT=8;BYDAY=MO", "COUNT=8;BYDAY=MONDAY"))
    garbage = tmp_path / "garbage.ics"
    garbage.write_bytes(b"\x00\x01 this is not a calendar")
    good = write(tmp_path / "qbr.ics", qbr())
    files = [broken, garbage, good, tmp_path / "missing.ics"]
    summary = capture_calendars(files, now=NOW, strict=False, dry_run=False)
    errors = {(e.where, e.header) for e in summary.errors}
    assert errors == {
        (f"{broken} UID {GOOGLE_UID}", "RRULE"),
        (str(garbage), "VCALENDAR"),
        (str(tmp_path / "missing.ics"), "file"),
    }
    assert "MONDAY" in next(e.reason for e in summary.errors if e.header == "RRULE")
    assert (summary.read, summary.captured, summary.accounted) == (5, 1, 5)  # the out-of-office is read too
    assert len(meetings_with(world["jane"])) == 1  # the good file is kept

    Interaction.objects.all().delete()
    CapturedEvent.objects.all().delete()
    strict = capture_calendars(files, now=NOW, strict=True, dry_run=False)
    assert strict.refused and len(strict.errors) == 3
    assert not Interaction.objects.exists() and not CapturedEvent.objects.exists()

    dry = capture_calendars([good], now=NOW, strict=False, dry_run=True)
    assert dry.added == 2 and not Interaction.objects.exists()


def test_a_google_export_zip_is_read_and_the_command_prints_a_summary(world: dict[str, Any], tmp_path: Path) -> None:
    export = tmp_path / "Calendar-export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("alice@northbeam.example.ical/alice@northbeam.example.ics", GOOGLE)
        archive.writestr("alice@northbeam.example.ical/Holidays in France.ics", vevent("holiday", "SUMMARY:Toussaint"))
        archive.writestr("readme.txt", "not a calendar")
    runner = CliRunner()
    result = runner.invoke(calendar, [str(export), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["read"], out["captured"], out["added"], out["files"]) == (3, 1, 7, 2)
    assert out["skipped"] == {"no attendees": 2} and out["dry_run"] is False

    moved = tmp_path / "moved.ics"
    write(moved, GOOGLE.replace("20260929T150000", "20260929T160000"))
    shown = runner.invoke(calendar, [str(moved)], catch_exceptions=False)
    assert shown.exit_code == 0 and "2 meeting touch(es) withdrawn" in shown.output  # Jane and Sam, moved
    assert "events read" in shown.output

    refused = runner.invoke(calendar, [str(tmp_path / "nothing.ics"), "--strict"])
    assert refused.exit_code == 1 and "nothing was captured (--strict)" in refused.output


def test_a_folder_is_read_in_batches_and_strangers_are_counted_until_accounts_may_be_created(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("referly.capture.calendar.BATCH", 2)  # five events: three transactions
    folder = tmp_path / "exports"
    (folder / "2026").mkdir(parents=True)
    body = "ORGANIZER:mailto:alice@northbeam.example\nATTENDEE:mailto:{}"
    events = [vevent(f"e{n}", body.format("jane@acme.example"), start=f"2026110{n}T090000Z") for n in range(1, 5)]
    text = events[0].replace("END:VCALENDAR\r\n", "") + "".join(
        e.split("PRODID:-//Referly tests//EN\r\n", 1)[1].replace("END:VCALENDAR\r\n", "") for e in events[1:]
    )
    write(folder / "2026" / "alice.ics", text + vevent("stranger", body.format("lee@initech.example")).split(
        "PRODID:-//Referly tests//EN\r\n", 1)[1])  # fmt: skip
    (folder / "notes.txt").write_text("not a calendar")
    counted = capture_calendars([folder], now=NOW, strict=False, dry_run=False)
    assert (counted.read, counted.captured, counted.added, counted.files) == (5, 4, 4, 1)
    assert dict(counted.skipped) == {"only people never captured": 1}
    assert dict(counted.unknown_domains) == {"initech.example": 1} and counted.people["unknown company domain"] == 1

    made = capture_calendars([folder], now=NOW, strict=False, dry_run=False, create_accounts=True)
    lee = Contact.objects.get(email="lee@initech.example")
    assert (lee.account.domain, made.added, made.people["accounts created"]) == ("initech.example", 1, 1)
    assert meetings_with(lee) == [("alice@northbeam.example", datetime(2026, 11, 3, 9, 0, tzinfo=UTC))]


def test_a_time_zone_naming_a_tz_folder_is_a_named_error_of_its_file_not_a_traceback(
    world: dict[str, Any], tmp_path: Path
) -> None:
    folder_zone = write(
        tmp_path / "a.ics", qbr().replace("DTSTART:20261103T090000Z", "DTSTART;TZID=America:20261103T090000")
    )
    floating = write(
        tmp_path / "b.ics",
        qbr(start="20261104T090000").replace("VERSION:2.0\r\n", "VERSION:2.0\r\nX-WR-TIMEZONE:Etc\r\n"),
    )
    summary = capture_calendars([folder_zone, floating], now=NOW, strict=False, dry_run=False)
    (error,) = summary.errors
    assert (error.where, error.header) == (str(folder_zone), "VCALENDAR") and "directory" in error.reason
    assert (summary.read, summary.accounted, summary.added) == (2, 2, 2)
    assert meetings_with(world["jane"]) == [("alice@northbeam.example", datetime(2026, 11, 4, 9, 0, tzinfo=UTC))]

    shown = CliRunner().invoke(calendar, [str(folder_zone)])
    assert shown.exit_code == 0 and shown.exception is None, shown.output
    assert "VCALENDAR" in shown.output and "Traceback" not in shown.output


def test_a_zip_is_checked_before_it_is_unpacked(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert calendar_module.MAX_FILE_BYTES == 64 << 20  # sane for a calendar, not the mail reader's gigabytes
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("alice.ics", qbr().replace("END:VCALENDAR", "X-PAD:" + "A" * (20 << 20) + "\r\nEND:VCALENDAR"))
        archive.writestr("../../etc/evil.ics", qbr())
        archive.writestr("good.ics", qbr())
    assert bomb.stat().st_size < 100_000
    summary = capture_calendars([bomb], now=NOW, strict=False, dry_run=False)
    errors = {e.where.rsplit("!", 1)[1]: e.reason for e in summary.errors}
    assert set(errors) == {"alice.ics", "../../etc/evil.ics"}
    assert "over 200 times its packed size, refused" in errors["alice.ics"]
    assert errors["../../etc/evil.ics"] == "a path outside the archive: refused"
    assert summary.added == 2  # good.ics

    plain = write(tmp_path / "plain.ics", qbr())
    monkeypatch.setattr("referly.capture.calendar.MAX_FILE_BYTES", 100)
    (error,) = capture_calendars([plain], now=NOW, strict=False, dry_run=False).errors
    assert error.reason == "over 100 bytes, the limit of a calendar: not an export"

    monkeypatch.setattr("referly.capture.calendar.MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w") as archive:
        archive.writestr("big.ics", qbr() + "X" * 1000)
    (error,) = capture_calendars([big], now=NOW, strict=False, dry_run=False).errors
    assert error.reason == "unpacks to over 1,000 bytes, the limit of a calendar"

    monkeypatch.setattr("referly.capture.calendar.MAX_FILE_BYTES", 64 << 20)
    monkeypatch.setattr("referly.capture.calendar.MAX_ARCHIVE_BYTES", len(qbr()) + 10)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for n in (1, 2, 3):
            archive.writestr(f"m{n}.ics", qbr())
    total = capture_calendars([many], now=NOW, strict=False, dry_run=False)
    assert [(e.where.rsplit("!", 1)[1], e.reason) for e in total.errors] == [
        ("m2.ics", f"the archive unpacks to more than {len(qbr()) + 10:,} bytes: stopped here")
    ]
