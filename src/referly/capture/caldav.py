"""Sync a CalDAV calendar: fetch what changed since the last sync, capture its meetings, drop deleted events.

What changed comes from the server's sync token (RFC 6578 ``sync-collection`` REPORT); a server without one
is compared by its ctag, then by each event's etag. Changed events are fetched a hundred at a time
(RFC 4791 ``calendar-multiget``). The client is the standard library's ``http.client``: only the few
requests a sync needs, no proxy from the environment, certificates checked (``tls_context``).

The cursor (``SourceCursor``, folder = the calendar's address) keeps, as JSON in ``sync_token``, the server's
token, its ctag, and for each event resource its etag, its UIDs and the start of its next occurrence: the
UIDs say which event a deleted resource held, and an event whose next occurrence has come is read again
(a weekly meeting adds a touch each week without changing on the server). Each batch is one transaction,
the cursor saved in it: a killed sync starts again from the last token and adds nothing twice.
"""

from __future__ import annotations

import base64
import copy
import http.client
import json
import socket
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.db import transaction

from referly.capture.calendar import MeetingCapture
from referly.capture.imap import Interrupted, access_token, tls_context
from referly.capture.meetings import BadEvent, meetings, parse
from referly.capture.models import Source, SourceCursor, SourceKind
from referly.capture.recorder import Recorder
from referly.capture.secrets import password_of
from referly.capture.summary import CaptureError, Summary
from referly.errors import Unavailable

MULTIGET = 100  # events fetched per request, and captured per transaction
TIMEOUT = 60.0  # seconds to connect, and to wait for any one answer
MAX_RESPONSE = 256 << 20
MAX_PAGES = 100  # sync-collection answers truncated (507) this many times in a row: stop there
D, C, CS = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}", "{http://calendarserver.org/ns/}"
_XML = '<?xml version="1.0" encoding="utf-8"?>\n'


class _BadToken(Exception):
    """The server no longer knows our sync token (RFC 6578 DAV:valid-sync-token): list everything again."""


class _NoSync(Exception):
    """The server refuses sync-collection: compare ctag and etags instead."""


@dataclass
class Resource:
    etag: str
    uids: list[str]
    next_at: str | None  # ISO time of the next occurrence of its events, if any


@dataclass
class SyncState:
    """Where the sync of one calendar stopped, as the cursor keeps it."""

    token: str = ""
    ctag: str = ""
    items: dict[str, Resource] = field(default_factory=dict)  # by href

    @classmethod
    def load(cls, text: str) -> SyncState:
        """The state in ``text``; an empty one (a full sync) for a cursor never written or not ours."""
        try:
            data = json.loads(text) if text else {}
            items = {h: Resource(str(e), [str(u) for u in uids], n) for h, (e, uids, n) in data["items"].items()}
            return cls(str(data.get("token", "")), str(data.get("ctag", "")), items)
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def dump(self) -> str:
        items = {h: [r.etag, r.uids, r.next_at] for h, r in sorted(self.items.items())}
        return json.dumps({"token": self.token, "ctag": self.ctag, "items": items}, separators=(",", ":"))

    def uids(self) -> set[str]:
        return {uid for resource in self.items.values() for uid in resource.uids}


@dataclass
class Changes:
    token: str  # the token to keep ("" when the server gives none)
    ctag: str
    changed: dict[str, str]  # href -> etag ("" when the server did not say)
    deleted: set[str]


def sync_calendar(source: Source, now: datetime) -> Summary:
    """Capture the meetings of the calendar at ``source.url`` that changed, or whose next occurrence came,
    since the last sync; drop the touches of deleted events. Commits per batch: call it outside a transaction."""
    with transaction.atomic():
        run = MeetingCapture(Recorder(), now)
        cursor, _ = SourceCursor.objects.get_or_create(source=source, folder=source.url[:255])
    state = SyncState.load(cursor.sync_token)
    client = DavClient(source)
    try:
        _sync(client, source, cursor, state, run, now)
    except ssl.SSLCertVerificationError as exc:
        raise Unavailable(
            f"{source.where}: the server's certificate is not trusted ({exc.verify_message}); give its CA with "
            f"--ca-file or REFERLY_SOURCE_CA_FILE"
        ) from None
    except ssl.SSLError as exc:
        raise Unavailable(f"{source.where}: the TLS handshake failed ({exc.reason or exc})") from None
    except OSError as exc:
        if not run.summary.read:
            raise Unavailable(f"{source.where}: cannot connect ({_reason(exc)})") from None
        raise Interrupted(
            f"{source.where}: the connection was lost ({_reason(exc)}); what the {run.summary.read:,} event(s) "
            f"read before made is kept, and the next sync goes on from there",
            run.summary,
        ) from None
    finally:
        client.close()
    return run.summary


def _sync(
    client: DavClient, source: Source, cursor: SourceCursor, state: SyncState, run: MeetingCapture, now: datetime
) -> None:
    found = changes(client, state)
    due = {h for h, r in state.items.items() if r.next_at and datetime.fromisoformat(r.next_at) <= now}
    known = {h for h, r in state.items.items() if r.etag and found.changed.get(h) == r.etag and h not in due}
    wanted = sorted((set(found.changed) - known | due) - found.deleted)
    batches = [wanted[i : i + MULTIGET] for i in range(0, len(wanted), MULTIGET)] or [[]]
    orphans: set[str] = set()  # UIDs a resource held before and no longer does
    for number, hrefs in enumerate(batches, 1):
        fetched = client.multiget(hrefs) if hrefs else {}
        kept = copy.deepcopy(run.summary)
        try:
            _batch(run, source, cursor, state, found, hrefs, fetched, orphans, last=number == len(batches))
        except BaseException:
            run.summary = kept  # the batch rolled back: so do its counts
            raise


def _batch(
    run: MeetingCapture,
    source: Source,
    cursor: SourceCursor,
    state: SyncState,
    found: Changes,
    hrefs: list[str],
    fetched: dict[str, tuple[str, bytes]],
    orphans: set[str],
    *,
    last: bool,
) -> None:
    """Capture one batch of fetched resources and save the cursor, in one transaction."""
    with transaction.atomic():
        for href in hrefs:
            if href not in fetched:  # deleted between the listing and the fetch
                found.deleted.add(href)
                continue
            etag, data = fetched[href]
            before = state.items.get(href)
            now_held = _take(run, f"{source.where} {href}", data, etag or found.changed.get(href, ""), before)
            state.items[href] = now_held
            orphans |= set(before.uids if before else []) - set(now_held.uids)
        if last:
            for href in found.deleted & set(state.items):
                orphans |= set(state.items.pop(href).uids)
            _forget(run, state, orphans, cursor)
            state.token, state.ctag = found.token, found.ctag
        run.commit()
        SourceCursor.objects.filter(pk=cursor.pk).update(sync_token=state.dump())


def _take(run: MeetingCapture, where: str, data: bytes, etag: str, before: Resource | None) -> Resource:
    """Capture one event resource; what the cursor keeps of it (an unreadable one keeps what it held)."""
    try:
        calendars = parse(data)
    except ValueError as exc:
        run.error(CaptureError(where, "VCALENDAR", " ".join(str(exc).split())[:300] or "unreadable"))
        return Resource(etag, before.uids if before else [], before.next_at if before else None)
    uids: list[str] = []
    upcoming: list[datetime] = []
    for calendar in calendars:
        for found in meetings(calendar, run.recorder.team, run.now):
            run.take(where, found)
            if found.uid:
                uids.append(found.uid)
            if not isinstance(found, BadEvent) and found.next_at is not None:
                upcoming.append(found.next_at)
    return Resource(etag, sorted(set(uids)), min(upcoming).isoformat() if upcoming else None)


def _forget(run: MeetingCapture, state: SyncState, uids: set[str], cursor: SourceCursor) -> None:
    """Drop the touches of events gone from the calendar, unless another resource or another synced calendar
    holds them (the same meeting in a colleague's calendar is still a meeting)."""
    if not uids:
        return
    held = state.uids()
    others = SourceCursor.objects.filter(source__kind=SourceKind.CALDAV).exclude(pk=cursor.pk)
    for text in others.values_list("sync_token", flat=True):
        held |= SyncState.load(text).uids()
    for uid in sorted(uids - held):
        run.forget(uid)


def changes(client: DavClient, state: SyncState) -> Changes:
    """What changed since ``state``: by sync token when the server has them, else by ctag and etags."""
    token, ctag = client.collection()
    if token:
        try:
            if state.token:
                try:
                    return client.sync_collection(state.token, ctag)
                except _BadToken:
                    pass  # the server forgot the token: list everything, as on a first sync
            # A full listing reports no deletions (RFC 6578 3.4): what we hold and it does not list is gone.
            listed = client.sync_collection("", ctag)
            listed.deleted |= set(state.items) - set(listed.changed)
            return listed
        except (_BadToken, _NoSync):
            pass  # sync reports refused: compare etags
    if ctag and ctag == state.ctag:
        return Changes("", ctag, {}, set())
    etags = client.etags()
    changed = {h: e for h, e in etags.items() if h not in state.items or state.items[h].etag != e}
    return Changes("", ctag, changed, set(state.items) - set(etags))


class DavClient:
    """The WebDAV requests a sync needs, over one kept-alive connection; failures as one sentence."""

    def __init__(self, source: Source) -> None:
        parts = urlsplit(source.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise Unavailable(f"{source.where}: not an http(s) address")
        self.where, self.path = source.where, parts.path or "/"
        self.host, self.port = parts.hostname, parts.port
        self.context = tls_context(source) if parts.scheme == "https" else None
        if source.token_command:
            self.authorization = f"Bearer {access_token(source.token_command, self.where)}"
        else:
            pair = f"{source.username}:{password_of(source)}".encode()
            self.authorization = f"Basic {base64.b64encode(pair).decode('ascii')}"
        self.username = source.username
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.context is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=TIMEOUT, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, body: str, depth: str | None, path: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": self.authorization, "Content-Type": "application/xml; charset=utf-8"}
        if depth is not None:
            headers["Depth"] = depth
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened again, once
            if self.connection is None:
                self.connection = self._connect()
            try:
                self.connection.request(method, path or self.path, body=body.encode("utf-8"), headers=headers)
                response = self.connection.getresponse()
                data = response.read(MAX_RESPONSE + 1)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            except http.client.HTTPException as exc:
                self.close()
                raise Unavailable(f"{self.where}: the server's answer is not HTTP ({type(exc).__name__})") from None
            if len(data) > MAX_RESPONSE:
                raise Unavailable(f"{self.where}: an answer over {MAX_RESPONSE >> 20} MB was refused")
            return response.status, data
        raise AssertionError("unreachable")

    def _multistatus(self, method: str, body: str, depth: str | None, *, syncing: bool = False) -> ET.Element:
        status, data = self.request(method, body, depth)
        if status == 207:
            return _xml(data, self.where)
        if status == 401:
            raise Unavailable(f"{self.where}: login refused for {self.username} (wrong user name or password?)")
        if status == 404:
            raise Unavailable(f"{self.where}: there is no calendar at this address")
        if status in (403, 409) and b"valid-sync-token" in data:
            raise _BadToken
        if syncing and status in (400, 403, 405, 501):
            raise _NoSync
        if status == 403:
            raise Unavailable(f"{self.where}: {self.username} may not read this calendar")
        if 300 <= status < 400:
            raise Unavailable(
                f"{self.where}: the server sends elsewhere (HTTP {status}): give the calendar's own address"
            )
        raise Unavailable(f"{self.where}: the server answered HTTP {status} to {method}")

    def collection(self) -> tuple[str, str]:
        """(sync token, ctag) of the calendar, each "" when the server has none; ``Unavailable`` if no calendar."""
        body = f'{_XML}<d:propfind xmlns:d="DAV:" xmlns:cs="{CS[1:-1]}"><d:prop><d:resourcetype/><d:sync-token/>'
        root = self._multistatus("PROPFIND", body + "<cs:getctag/></d:prop></d:propfind>", "0")
        props = next((p for _, p, ok in _responses(root) if ok), None)
        if props is None or props.find(f"{D}resourcetype/{C}calendar") is None:
            raise Unavailable(f"{self.where}: this address is not a calendar (give the calendar's own address)")
        return _text(props, f"{D}sync-token"), _text(props, f"{CS}getctag")

    def sync_collection(self, token: str, ctag: str) -> Changes:
        """Every member changed or deleted since ``token`` ("" for all), following truncated answers (507)."""
        changed: dict[str, str] = {}
        deleted: set[str] = set()
        for _ in range(MAX_PAGES):
            body = (
                f'{_XML}<d:sync-collection xmlns:d="DAV:"><d:sync-token>{escape(token)}</d:sync-token>'
                "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
            )
            root = self._multistatus("REPORT", body, "0", syncing=True)
            token = (root.findtext(f"{D}sync-token") or "").strip()
            truncated = False
            for href, props, ok in _responses(root):
                if href == self.path:  # the calendar itself: 507 when the answer was cut short
                    truncated = truncated or _status(root, href) == 507
                elif ok:
                    changed[href] = _text(props, f"{D}getetag")
                    deleted.discard(href)
                elif _status(root, href) == 404:
                    deleted.add(href)
                    changed.pop(href, None)
            if not truncated:
                break
        return Changes(token, ctag, changed, deleted)

    def etags(self) -> dict[str, str]:
        """Each event resource's etag (PROPFIND Depth 1), for servers without sync tokens."""
        body = f'{_XML}<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
        found = {}
        for href, props, ok in _responses(self._multistatus("PROPFIND", body, "1")):
            if ok and href != self.path and props.find(f"{D}resourcetype/{D}collection") is None:
                found[href] = _text(props, f"{D}getetag")
        return found

    def multiget(self, hrefs: list[str]) -> dict[str, tuple[str, bytes]]:
        """(etag, iCalendar bytes) of each resource the server still has."""
        wanted = "".join(f"<d:href>{escape(h)}</d:href>" for h in hrefs)
        body = (
            f'{_XML}<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{C[1:-1]}"><d:prop><d:getetag/><c:calendar-data/>'
            f"</d:prop>{wanted}</c:calendar-multiget>"
        )
        found = {}
        for href, props, ok in _responses(self._multistatus("REPORT", body, None)):
            data = props.find(f"{C}calendar-data") if ok else None
            if data is not None and data.text:
                found[href] = (_text(props, f"{D}getetag"), data.text.encode("utf-8"))
        return found


def _xml(data: bytes, where: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise Unavailable(f"{where}: the server's answer is not WebDAV XML ({exc})") from None


def _responses(root: ET.Element) -> Iterator[tuple[str, ET.Element, bool]]:
    """(href path, its properties found, whether they were found) for each response of a multistatus."""
    for response in root.findall(f"{D}response"):
        href = _path(response.findtext(f"{D}href") or "")
        props = ET.Element(f"{D}prop")
        ok = False
        for propstat in response.findall(f"{D}propstat"):
            found = propstat.find(f"{D}prop")
            if _code(propstat.findtext(f"{D}status")) == 200 and found is not None:
                ok = True
                props.extend(list(found))
        yield href, props, ok


def _status(root: ET.Element, href: str) -> int:
    """The status of the response for ``href`` as a whole (not of one of its properties)."""
    for response in root.findall(f"{D}response"):
        if _path(response.findtext(f"{D}href") or "") == href:
            return _code(response.findtext(f"{D}status"))
    return 0


def _code(status: str | None) -> int:
    words = (status or "").split()
    return int(words[1]) if len(words) > 1 and words[1].isdigit() else 0


def _path(href: str) -> str:
    """An href as the path the server knows it by (some servers answer with the full address)."""
    href = href.strip()
    return urlsplit(href).path if "://" in href else href


def _text(props: ET.Element, tag: str) -> str:
    return (props.findtext(tag) or "").strip()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection"
    return (exc.strerror or str(exc) or type(exc).__name__).lower() if isinstance(exc, OSError) else str(exc)
