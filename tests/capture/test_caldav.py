"""Syncing a CalDAV calendar from a real Radicale: incremental by sync token (or by ctag and etags), updates
and deletions on the server replacing or dropping what events made, recurring meetings counted as their
occurrences come, TLS, and failures said in one sentence. Other servers' ways (no sync tokens, sync reports
refused, an event nobody can read, a server gone mid-sync) come from a real proxy in front of Radicale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from referly.capture import caldav
from referly.capture.caldav import SyncState, sync_calendar
from referly.capture.imap import Interrupted
from referly.capture.models import CapturedEvent, Source, SourceCursor
from referly.capture.sources import add_caldav_source, sync_source
from referly.crm.models import Interaction, InteractionKind
from referly.errors import Unavailable
from tests.capture.dovecot import self_signed
from tests.capture.radicale_server import PASSWORD, USER, DavProxy, Radicale, dav_proxy, radicale_server
from tests.capture.test_calendar_files import qbr
from tests.capture.test_meetings import GOOGLE, GOOGLE_OCCURRENCES, GOOGLE_UID, NOW, OUTLOOK, THUNDERBIRD
from tests.factories import make_account, make_contact, make_teammate

MEETING = InteractionKind.MEETING
ALICE = "alice@northbeam.example"


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    with radicale_server(tmp_path / "radicale") as server:
        yield server


@pytest.fixture
def proxy(radicale: Radicale) -> Iterator[DavProxy]:
    with dav_proxy(radicale) as server:
        yield server


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    monkeypatch.delenv("REFERLY_SOURCE_CA_FILE", raising=False)
    monkeypatch.delenv("REFERLY_CAPTURE_BLOCKLIST", raising=False)
    acme, globex = make_account("Acme", domain="acme.example"), make_account("Globex", domain="globex.example")
    return {
        "alice": make_teammate("Alice Martin", email=ALICE),
        "carl": make_teammate("Carl Petit", email="carl@northbeam.example"),
        "jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example"),
        "bob": make_contact(globex, first_name="Bob", last_name="Stone", email="bob@globex.example"),
    }


def source(url: str, password: str = PASSWORD, ca_file: str = "") -> Source:
    return add_caldav_source(
        url=url, username=USER, password=password, token_command="", owner_email=ALICE, ca_file=ca_file, now=NOW
    )


def only(text: str, uid: str) -> str:
    """The calendar with the events of one UID: a CalDAV resource holds one event (RFC 4791 4.1)."""
    head, *events = text.split("BEGIN:VEVENT")
    kept = [e for e in events if f"UID:{uid}\r\n" in e]
    body = "BEGIN:VEVENT" + "BEGIN:VEVENT".join(kept)
    return head + body if body.endswith("END:VCALENDAR\r\n") else head + body.rstrip() + "\r\nEND:VCALENDAR\r\n"


def meetings_with(contact: Any) -> list[tuple[str, datetime]]:
    rows = Interaction.objects.filter(contact=contact, kind=MEETING).order_by("occurred_at")
    return [(r.teammate.email or "", r.occurred_at) for r in rows]


def state(calendar: Source) -> SyncState:
    return SyncState.load(SourceCursor.objects.get(source=calendar).sync_token)


def test_a_calendar_is_captured_by_sync_token_and_a_second_sync_reads_and_adds_nothing(
    world: dict[str, Any], radicale: Radicale
) -> None:
    calendar = source(radicale.make_calendar())
    radicale.put("weekly.ics", only(GOOGLE, GOOGLE_UID))
    radicale.put("qbr-outlook.ics", OUTLOOK)
    radicale.put("intro.ics", THUNDERBIRD)
    first = sync_calendar(calendar, NOW)
    alice, carl = ALICE, "carl@northbeam.example"
    assert meetings_with(world["jane"]) == sorted(
        [(alice, at) for at in GOOGLE_OCCURRENCES]
        + [(carl, datetime(2026, 10, 22, 7, 0, tzinfo=UTC)), (alice, datetime(2026, 11, 4, 13, 30, tzinfo=UTC))],
        key=lambda t: t[1],
    )  # 21 Sept excluded, 28 Sept moved to the 29th, 5 Oct cancelled
    assert meetings_with(world["bob"]) == []  # declined
    assert (first.read, first.captured, first.added, first.errors) == (3, 3, 10, [])
    kept = state(calendar)
    assert kept.token.startswith("http://radicale.org/ns/sync/") and kept.ctag
    assert sorted(kept.items) == ["/alice/work/intro.ics", "/alice/work/qbr-outlook.ics", "/alice/work/weekly.ics"]
    assert kept.items["/alice/work/weekly.ics"].uids == [GOOGLE_UID]

    again = sync_calendar(calendar, NOW)
    assert (again.read, again.added, again.removed) == (0, 0, 0)  # type: ignore[attr-defined]
    assert state(calendar).token == kept.token


def test_a_moved_event_replaces_its_touches_and_a_deleted_one_drops_them(
    world: dict[str, Any], radicale: Radicale
) -> None:
    calendar = source(radicale.make_calendar())
    radicale.put("qbr.ics", qbr())
    radicale.put("intro.ics", THUNDERBIRD)
    sync_calendar(calendar, NOW)
    assert meetings_with(world["bob"]) == [(ALICE, datetime(2026, 11, 3, 9, 0, tzinfo=UTC))]

    radicale.put("qbr.ics", qbr(start="20261103T150000Z"))
    moved = sync_calendar(calendar, NOW)
    at = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    assert meetings_with(world["bob"]) == [(ALICE, at)]  # the old time is gone, not doubled
    assert (moved.read, moved.added, moved.removed) == (1, 2, 2)  # type: ignore[attr-defined]

    radicale.delete("qbr.ics")
    deleted = sync_calendar(calendar, NOW)
    assert meetings_with(world["bob"]) == [] and (deleted.read, deleted.removed) == (0, 2)  # type: ignore[attr-defined]
    assert meetings_with(world["jane"]) == [("carl@northbeam.example", datetime(2026, 10, 22, 7, 0, tzinfo=UTC))]
    assert not CapturedEvent.objects.filter(uid="qbr-2026@northbeam.example").exists()
    assert "/alice/work/qbr.ics" not in state(calendar).items


def test_a_weekly_meeting_adds_each_occurrence_when_its_time_comes_without_changing_on_the_server(
    world: dict[str, Any], radicale: Radicale
) -> None:
    calendar = source(radicale.make_calendar())
    radicale.put("weekly.ics", only(GOOGLE, GOOGLE_UID))
    early = sync_calendar(calendar, datetime(2026, 10, 13, tzinfo=UTC))
    assert [at for _, at in meetings_with(world["jane"])] == GOOGLE_OCCURRENCES[:4] and early.added == 5
    assert state(calendar).items["/alice/work/weekly.ics"].next_at == GOOGLE_OCCURRENCES[4].isoformat()
    nothing_yet = sync_calendar(calendar, datetime(2026, 10, 14, tzinfo=UTC))
    assert (nothing_yet.read, nothing_yet.added) == (0, 0)
    later = sync_calendar(calendar, NOW)
    assert [at for _, at in meetings_with(world["jane"])] == GOOGLE_OCCURRENCES
    assert (later.read, later.added) == (1, 2) and state(calendar).items["/alice/work/weekly.ics"].next_at is None


def test_without_sync_tokens_changes_are_found_by_ctag_and_etags(
    world: dict[str, Any], radicale: Radicale, proxy: DavProxy
) -> None:
    proxy.hide_sync_token, proxy.refuse_sync = True, 403  # a server without RFC 6578
    radicale.make_calendar()
    calendar = source(proxy.calendar_url())
    radicale.put("qbr.ics", qbr())
    radicale.put("intro.ics", THUNDERBIRD)
    first = sync_calendar(calendar, NOW)
    assert (first.read, first.added) == (2, 3) and state(calendar).token == ""
    assert (sync_calendar(calendar, NOW).read, sync_calendar(calendar, NOW).added) == (0, 0)  # the ctag is the same

    radicale.put("qbr.ics", qbr(start="20261103T150000Z"))
    radicale.delete("intro.ics")
    changed = sync_calendar(calendar, NOW)
    assert (changed.read, changed.added, changed.removed) == (1, 2, 3)  # type: ignore[attr-defined]
    assert meetings_with(world["jane"]) == [(ALICE, datetime(2026, 11, 3, 15, 0, tzinfo=UTC))]
    assert "REPORT sync-collection" not in proxy.seen  # no token offered, none asked for


def test_a_token_the_server_no_longer_knows_means_a_full_listing_that_still_finds_deletions(
    world: dict[str, Any], radicale: Radicale
) -> None:
    calendar = source(radicale.make_calendar())
    radicale.put("qbr.ics", qbr())
    radicale.put("intro.ics", THUNDERBIRD)
    sync_calendar(calendar, NOW)
    cursor = SourceCursor.objects.get(source=calendar)
    kept = SyncState.load(cursor.sync_token)
    kept.token = "http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000"
    SourceCursor.objects.filter(pk=cursor.pk).update(sync_token=kept.dump())
    radicale.delete("intro.ics")
    resynced = sync_calendar(calendar, NOW)
    assert (resynced.read, resynced.added, resynced.removed) == (0, 0, 1)  # type: ignore[attr-defined]
    assert meetings_with(world["jane"]) == [(ALICE, datetime(2026, 11, 3, 9, 0, tzinfo=UTC))]
    assert state(calendar).token.startswith("http://radicale.org/ns/sync/") and state(calendar).token != kept.token


def test_an_event_deleted_from_one_calendar_stays_while_another_synced_calendar_holds_it(
    world: dict[str, Any], radicale: Radicale
) -> None:
    alices, carls = source(radicale.make_calendar("work")), source(radicale.make_calendar("carl"))
    radicale.put("qbr.ics", qbr(), calendar="work")
    radicale.put("invitation.ics", qbr(), calendar="carl")  # the same invitation, in Carl's calendar
    assert sync_calendar(alices, NOW).added == 2
    both = sync_calendar(carls, NOW)
    assert (both.captured, both.added) == (1, 0)  # the same meeting: the same touches, once

    radicale.delete("invitation.ics", calendar="carl")
    assert sync_calendar(carls, NOW).removed == 0  # type: ignore[attr-defined]
    assert len(meetings_with(world["jane"])) == 1  # still in Alice's calendar
    radicale.delete("qbr.ics", calendar="work")
    assert sync_calendar(alices, NOW).removed == 2  # type: ignore[attr-defined]
    assert meetings_with(world["jane"]) == []


def test_failures_are_one_clear_sentence_and_recorded_on_the_source(world: dict[str, Any], radicale: Radicale) -> None:
    url = radicale.make_calendar()
    wrong = source(url, password="wrong horse")
    with pytest.raises(Unavailable, match=r"^caldav http://127\.0\.0\.1:\d+/alice/work/: login refused for alice"):
        sync_calendar(wrong, NOW)
    with pytest.raises(Unavailable, match="login refused"):
        sync_source(wrong, NOW)
    wrong.refresh_from_db()
    assert wrong.last_error.startswith("caldav http://") and "wrong user name or password" in wrong.last_error

    home = source(f"{radicale.root}/{USER}/")
    with pytest.raises(Unavailable, match="this address is not a calendar"):
        sync_calendar(home, NOW)
    nowhere = source(f"{radicale.root}/{USER}/missing/")
    with pytest.raises(Unavailable, match="there is no calendar at this address"):
        sync_calendar(nowhere, NOW)
    closed = source("http://127.0.0.1:9/alice/work/")  # the discard port: nobody listens
    with pytest.raises(Unavailable, match=r"cannot connect \(connection refused\)$"):
        sync_calendar(closed, NOW)

    Source.objects.filter(pk=wrong.pk).delete()
    good = source(url)
    radicale.put("qbr.ics", qbr())
    summary = sync_source(good, NOW)
    good.refresh_from_db()
    assert good.last_error == "" and good.last_counts["added"] == summary.added == 2


def test_over_tls_the_source_ca_file_or_the_setting_is_trusted_and_nothing_else(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    with radicale_server(tmp_path / "tls", certificate=(cert, key)) as server:
        url = server.make_calendar()
        server.put("qbr.ics", qbr())
        untrusted = source(url)
        with pytest.raises(Unavailable, match=r"certificate is not trusted .*--ca-file or REFERLY_SOURCE_CA_FILE"):
            sync_calendar(untrusted, NOW)
        monkeypatch.setenv("REFERLY_SOURCE_CA_FILE", str(cert))
        assert sync_calendar(untrusted, NOW).added == 2
        monkeypatch.delenv("REFERLY_SOURCE_CA_FILE")
        Source.objects.filter(pk=untrusted.pk).delete()
        trusted = source(url, ca_file=str(cert))
        server.put("qbr.ics", qbr(start="20261103T150000Z"))
        assert sync_calendar(trusted, NOW).removed == 2  # type: ignore[attr-defined]


def test_a_sync_cut_short_keeps_its_committed_batches_and_the_next_one_finishes_without_counting_twice(
    world: dict[str, Any], radicale: Radicale, proxy: DavProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caldav, "MULTIGET", 1)  # one event per batch
    radicale.make_calendar()
    calendar = source(proxy.calendar_url())
    for n in (1, 2, 3):
        radicale.put(f"m{n}.ics", qbr(start=f"2026110{n}T090000Z").replace("qbr-2026@", f"qbr-{n}@"))
    proxy.drop_from = 4  # the server goes away at the second batch's fetch, and stays away
    with pytest.raises(Interrupted, match=r"the connection was lost .* 1 event") as lost:
        sync_calendar(calendar, NOW)
    fetch = "REPORT calendar-multiget"
    assert proxy.seen == ["PROPFIND", "REPORT sync-collection", fetch, fetch, fetch]  # the lost fetch tried twice
    assert (lost.value.summary.read, lost.value.summary.added) == (1, 2)
    assert len(meetings_with(world["jane"])) == 1 and state(calendar).token == ""  # the token waits for the end
    assert list(state(calendar).items) == ["/alice/work/m1.ics"]

    proxy.drop_from = None  # the server is back
    rest = sync_calendar(calendar, NOW)
    assert (rest.read, rest.added) == (2, 4) and len(meetings_with(world["jane"])) == 3
    assert state(calendar).token


@pytest.mark.parametrize("refusal", [403, 501], ids=["report-not-supported", "not-implemented"])
def test_a_server_refusing_sync_reports_is_compared_by_etags_and_an_unreadable_event_is_a_named_error(
    world: dict[str, Any], radicale: Radicale, proxy: DavProxy, refusal: int
) -> None:
    proxy.refuse_sync, proxy.garble = refusal, "bad.ics"  # a sync token offered, its report refused
    radicale.make_calendar()
    calendar = source(proxy.calendar_url())
    radicale.put("qbr.ics", qbr())
    radicale.put("bad.ics", THUNDERBIRD)
    summary = sync_calendar(calendar, NOW)
    assert (summary.read, summary.added) == (2, 2) and summary.accounted == 2
    (error,) = summary.errors
    assert (error.where.endswith(" /alice/work/bad.ics"), error.header) == (True, "VCALENDAR")
    assert sync_calendar(calendar, NOW).read == 0  # the unreadable one is not read again until it changes
    assert proxy.seen.count("REPORT sync-collection") == 2 and proxy.seen.count("REPORT calendar-multiget") == 1


def test_an_event_with_a_tz_folder_as_zone_is_a_named_error_and_the_sync_moves_past_it(
    world: dict[str, Any], radicale: Radicale, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caldav, "MULTIGET", 1)
    calendar = source(radicale.make_calendar())
    radicale.put("a-good.ics", qbr())
    folder_zone = qbr(start="20261104T090000Z").replace("qbr-2026@", "qbr-tz@")
    radicale.put("b-tz.ics", folder_zone.replace("DTSTART:20261104T090000Z", "DTSTART;TZID=America:20261104T090000"))
    radicale.put("c-good.ics", qbr(start="20261105T090000Z").replace("qbr-2026@", "qbr-c@"))
    summary = sync_calendar(calendar, NOW)
    (error,) = summary.errors
    assert (error.where.endswith(" /alice/work/b-tz.ics"), error.header) == (True, "VCALENDAR")
    assert "directory" in error.reason
    assert (summary.read, summary.added, summary.accounted) == (3, 4, 3)
    assert "/alice/work/b-tz.ics" in state(calendar).items and state(calendar).token
    assert sync_calendar(calendar, NOW).read == 0  # not stuck: the next sync starts after it


def test_a_batch_that_fails_takes_its_counts_with_it(
    world: dict[str, Any], radicale: Radicale, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caldav, "MULTIGET", 1)
    calendar = source(radicale.make_calendar())
    for n in (1, 2):
        radicale.put(f"m{n}.ics", qbr(start=f"2026110{n}T090000Z").replace("qbr-2026@", f"qbr-{n}@"))
    real, calls = caldav.MeetingCapture.commit, []

    def failing(self: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real(self)

    monkeypatch.setattr(caldav.MeetingCapture, "commit", failing)
    with pytest.raises(Interrupted, match=r"the connection was lost .* 1 event") as lost:
        sync_calendar(calendar, NOW)
    assert (lost.value.summary.read, lost.value.summary.captured, lost.value.summary.added) == (1, 1, 2)
    assert len(meetings_with(world["jane"])) == 1 and list(state(calendar).items) == ["/alice/work/m1.ics"]
