"""Capture from calendars: each event's occurrences through the meeting rules, into touches it owns.

Every event (by UID) remembers the touches it made (``CapturedEvent``). Captured again — from the same
file, another teammate's calendar or a CalDAV sync — it makes its touches anew: those it made before and
no longer makes (a moved time, a removed or declining attendee, a cancellation) are deleted, the new ones
added. So an update never counts twice and a second capture of the same file adds nothing.

``MeetingCapture`` is shared by .ics files and CalDAV calendars: ``take`` one event, ``commit`` at the end
of a batch, inside the caller's transaction.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from operator import or_
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models import Q

from referly.capture.mailfiles import MAX_ARCHIVE_BYTES, MAX_RATIO, RATIO_FROM, refusal
from referly.capture.meetings import BadEvent, Meeting, meetings, parse
from referly.capture.models import CapturedEvent
from referly.capture.recorder import Recorder
from referly.capture.runs import outer, settle
from referly.capture.summary import CaptureError, Summary
from referly.crm.models import Interaction, InteractionKind
from referly.ingest.archive import (
    MOST_DIRECTORY,
    MOST_MEMBERS,
    UNPACKED_METHODS,
    declared_directory,
    is_link,
    read_member,
)

BATCH = 500  # events per transaction
MAX_FILE_BYTES = 64 << 20  # a calendar file over 64 MB is not an export (parsing takes ~35 times its size)
_DELETE_CHUNK = 200
UNPACKABLE = "compressed in a way Referly does not unpack (only stored or deflated members are)"
Remembered = tuple[int, int, str]  # contact, teammate, ISO time in UTC: one meeting touch as CapturedEvent keeps it


@dataclass
class CalendarSummary(Summary):
    """A capture's counts, and the meeting touches withdrawn because their event changed or went away."""

    removed: int = 0

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "removed": self.removed}


class MeetingCapture:
    def __init__(self, recorder: Recorder, now: datetime) -> None:
        self.recorder, self.now = recorder, now
        self.summary = CalendarSummary()
        self.uids: set[str] = set()  # events taken in this capture
        self.batch: dict[str, list[Remembered]] = {}  # this batch's events and the touches each makes now

    def take(self, where: str, found: Meeting | BadEvent) -> None:
        """Count one event and buffer its touches; the same UID met again in this capture is a duplicate."""
        self.summary.read += 1
        if isinstance(found, BadEvent):
            at = f"{where} UID {found.uid}" if found.uid else where
            self.summary.errors.append(CaptureError(at, found.part, found.reason))
            return
        if found.uid in self.uids:
            self.summary.duplicates += 1
            return
        self.uids.add(found.uid)
        start = len(self.recorder.pending)
        made = self.recorder.add(found.pairs, self.summary) if found.pairs else 0
        self.batch[found.uid] = [(c, t, _iso(at)) for c, t, _, at in self.recorder.pending[start:]]
        if made:
            self.summary.captured += 1
        elif found.pairs:
            self.summary.skipped["only people never captured"] += 1
        else:
            self.summary.skipped[found.skip] += 1

    def forget(self, uid: str) -> None:
        """The event is gone from its calendar: at ``commit`` the touches it made are deleted."""
        self.batch.setdefault(uid, [])

    def error(self, error: CaptureError) -> None:
        self.summary.read += 1
        self.summary.errors.append(error)

    def commit(self) -> None:
        """Replace each batch event's remembered touches by the ones it makes now (inside the caller's transaction)."""
        batch, self.batch = self.batch, {}
        known = {e.uid: e for e in CapturedEvent.objects.filter(uid__in=list(batch))} if batch else {}
        made_now = {touch for touches in batch.values() for touch in touches}
        stale: set[Remembered] = set()
        for uid, event in known.items():
            stale |= {(c, t, at) for c, t, at in event.touches} - set(batch[uid])
        self.summary.removed += delete_touches(stale - made_now)
        self.summary.added += self.recorder.flush()
        fresh: list[CapturedEvent] = []
        changed: list[CapturedEvent] = []
        gone: list[int] = []
        for uid, touches in batch.items():
            remembered = [list(t) for t in sorted(set(touches))]
            if uid not in known:
                if remembered:
                    fresh.append(CapturedEvent(uid=uid, touches=remembered, captured_at=self.now))
            elif not remembered:
                gone.append(known[uid].pk)
            elif known[uid].touches != remembered:
                known[uid].touches, known[uid].captured_at = remembered, self.now
                changed.append(known[uid])
        CapturedEvent.objects.bulk_create(fresh)
        CapturedEvent.objects.bulk_update(changed, ["touches", "captured_at"])
        CapturedEvent.objects.filter(pk__in=gone).delete()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def delete_touches(touches: set[Remembered]) -> int:
    """Delete these meeting touches; returns how many were there."""
    ordered, deleted = sorted(touches), 0
    for start in range(0, len(ordered), _DELETE_CHUNK):
        chunk = ordered[start : start + _DELETE_CHUNK]
        match = reduce(
            or_, (Q(contact_id=c, teammate_id=t, occurred_at=datetime.fromisoformat(at)) for c, t, at in chunk)
        )
        deleted += Interaction.objects.filter(match, kind=InteractionKind.MEETING).delete()[0]
    return deleted


def capture_calendars(
    paths: list[Path],
    *,
    now: datetime,
    strict: bool = False,
    dry_run: bool = False,
    create_accounts: bool = False,
    advance: Callable[[int], None] = lambda n: None,
) -> Summary:
    """Capture .ics files (or folders and zips of them): one transaction per file, or per ``BATCH`` events
    of a large one. An unreadable file or a broken event is a counted error; with ``strict`` any error
    refuses the whole capture (``refused``, nothing written). ``dry_run`` rolls everything back."""
    with outer(strict=strict, dry_run=dry_run):
        with transaction.atomic():
            run = MeetingCapture(Recorder(create_accounts=create_accounts), now)
        for item in read_ics(paths):
            run.summary.files += 1
            if isinstance(item, CaptureError):
                run.error(item)
                continue
            where, data = item
            try:
                calendars = parse(data)
            except ValueError as exc:
                run.error(CaptureError(where, "VCALENDAR", " ".join(str(exc).split())[:300] or "unreadable"))
                continue
            events = (found for calendar in calendars for found in meetings(calendar, run.recorder.team, now))
            while True:
                with transaction.atomic():
                    taken = 0
                    for found in events:
                        run.take(where, found)
                        taken += 1
                        if taken >= BATCH:
                            break
                    run.commit()
                advance(taken)
                if taken < BATCH:
                    break
        settle(run.summary, strict=strict, dry_run=dry_run)
    return run.summary


def read_ics(paths: list[Path]) -> Iterator[tuple[str, bytes] | CaptureError]:
    """The calendar files named, the .ics files of folders and of zip archives (a Google Calendar export)."""
    for path in paths:
        if path.is_dir():
            for inside in sorted(path.rglob("*")):
                if inside.is_file() and inside.suffix.lower() in {".ics", ".zip"}:
                    yield from _file(inside)
        elif path.is_file():
            yield from _file(path)
        else:
            yield CaptureError(str(path), "file", "no such file or folder")


def _file(path: Path) -> Iterator[tuple[str, bytes] | CaptureError]:
    try:
        if zipfile.is_zipfile(path):
            yield from _zip(path)
            return
        if path.stat().st_size > MAX_FILE_BYTES:
            yield CaptureError(
                str(path), "file", f"over {_size(MAX_FILE_BYTES)}, the limit of a calendar: not an export"
            )
            return
        yield str(path), path.read_bytes()
    except OSError as exc:
        yield CaptureError(str(path), "file", exc.strerror or str(exc))


def _zip(path: Path) -> Iterator[tuple[str, bytes] | CaptureError]:
    """The .ics members of a zip, each checked before it is unpacked (its path, a link, its declared size
    against ``MAX_FILE_BYTES`` and its packed size, the archive's total against ``MAX_ARCHIVE_BYTES``), then
    unpacked in chunks with the same limits counted on the bytes really unpacked: headers may lie."""
    crowded = CaptureError(str(path), "zip", f"holds more than {MOST_MEMBERS:,} files: not a calendar export")
    try:
        with path.open("rb") as handle:  # the directory's size, before zipfile reads it whole
            members, directory = declared_directory(handle) or (0, 0)
        if members > MOST_MEMBERS or directory > MOST_DIRECTORY:
            yield crowded
            return
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield CaptureError(str(path), "zip", f"not a readable zip archive ({exc})")
        return
    unpacked = 0
    with archive:
        if len(archive.infolist()) > MOST_MEMBERS:
            yield crowded
            return
        for info in archive.infolist():
            inside = f"{path}!{info.filename}"
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or name.suffix.lower() != ".ics":
                continue
            if why := refusal(info):
                yield CaptureError(inside, "zip", why)
                continue
            if is_link(info):
                yield CaptureError(inside, "zip", "a symbolic link: refused")
                continue
            if info.compress_type not in UNPACKED_METHODS:  # bzip2 and LZMA expand without a bound per read
                yield CaptureError(inside, "zip", UNPACKABLE)
                continue
            if info.file_size > MAX_FILE_BYTES:
                yield CaptureError(inside, "zip", f"unpacks to over {_size(MAX_FILE_BYTES)}, the limit of a calendar")
                continue
            if unpacked + info.file_size > MAX_ARCHIVE_BYTES:
                yield CaptureError(
                    inside, "zip", f"the archive unpacks to more than {_size(MAX_ARCHIVE_BYTES)}: stopped here"
                )
                return
            try:
                data = read_member(archive, info, MAX_FILE_BYTES, ratio=MAX_RATIO, ratio_from=RATIO_FROM)
            except ValueError as exc:
                yield CaptureError(inside, "zip", f"{exc}, the limit of a calendar")
                continue
            except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
                yield CaptureError(inside, "zip", f"cannot be unpacked ({exc})")
                continue
            unpacked += len(data)
            yield inside, data


def _size(limit: int) -> str:
    for unit, shift in (("GB", 30), ("MB", 20)):
        if limit >= 1 << shift:
            return f"{limit >> shift} {unit}"
    return f"{limit:,} bytes"
