"""A message's headers, read into what the rules need: who, when, which message, and whether it is bulk.

Only the nine fields the rules read are taken from the header block, unfolded (``read_fields``; a test
checks it against the standard library's header parser); addresses and dates are parsed by
``email.utils``. 8-bit bytes in an unknown charset are replaced, never an error. A missing or impossible
Date is a ``BadHeader``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from typing import NamedTuple

Address = tuple[str, str]  # (address, display name)

_ATOM = r"[^<>\s,\"()\\;:@\[\]]+"
_SIMPLE = re.compile(rf"^\s*(?:([^<>,\"()\\;:@\[\]]*?)\s*<({_ATOM}@{_ATOM})>|({_ATOM}@{_ATOM}))\s*$")

EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
# The headers a message's digest is made of when it has no Message-ID: stable across copies of it.
_DIGEST_HEADERS = ("from", "to", "cc", "date", "subject")


class BadHeader(ValueError):
    """A header the message cannot be captured without: ``header`` names it, the text says why."""

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(f"{header}: {reason}")
        self.header, self.reason = header, reason


class MailHeader(NamedTuple):  # a tuple: made once per message, a frozen dataclass costs twice as much
    key: str  # the Message-ID, or a digest of the headers
    at: datetime
    sender: Address | None
    recipients: tuple[Address, ...]  # To then Cc
    list_id: str
    precedence: str
    auto_submitted: str


def parse(raw: bytes, now: datetime) -> MailHeader:
    """The header block ``raw`` (bytes up to the blank line); ``BadHeader`` if it has no usable date."""
    fields = read_fields(raw)
    at = _date(fields, now)
    senders = _addresses(fields, "from")
    return MailHeader(
        key=_key(fields),
        at=at,
        sender=senders[0] if senders else None,
        recipients=tuple(_addresses(fields, "to") + _addresses(fields, "cc")),
        list_id=_first(fields, "list-id"),
        precedence=_first(fields, "precedence").strip().lower(),
        auto_submitted=_first(fields, "auto-submitted").strip().lower(),
    )


Fields = dict[str, list[str]]


def read_fields(raw: bytes) -> Fields:
    """The fields the rules read, unfolded (RFC 5322 2.2.3: a line starting with white space continues the
    one before). Bytes that are not UTF-8 are replaced. The rest of the block is passed over unread."""
    fields: Fields = {}
    for name, value in _FIELD.findall(raw):
        if b"\n" in value:
            value = _FOLDING.sub(b"", value)
        key = _NAMES.get(name) or name.lower().decode("ascii")
        text = value.strip().decode("utf-8", "replace")
        if key in fields:
            fields[key].append(text)
        else:
            fields[key] = [text]
    return fields


# A wanted field's line and its continuation lines; the name is matched without case.
_FIELD = re.compile(
    rb"^(from|to|cc|date|message-id|subject|list-id|precedence|auto-submitted)[ \t]*:(.*(?:\n[ \t].*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_FOLDING = re.compile(rb"\r?\n(?=[ \t])")
_NAMES = {
    spelled.encode(): spelled.lower()
    for name in ("From", "To", "Cc", "Date", "Message-ID", "Subject", "List-Id", "Precedence", "Auto-Submitted")
    for spelled in (name, name.lower(), name.upper(), name.replace("-ID", "-Id"), name.replace("Cc", "CC"))
}
# RFC 5322 3.3's date-time as nearly every mailer writes it, read without the general parser (which costs
# a tenth of a capture); anything else goes to ``parsedate_to_datetime``.
_RFC_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})"
    r"(?:\s*\([^()]*\))?"
)
_MONTHS = {
    m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def _first(fields: Fields, name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


def _date(fields: Fields, now: datetime) -> datetime:
    text = _first(fields, "date").strip()
    if not text:
        raise BadHeader("Date", "missing")
    at = quick_date(text)
    if at is None:
        try:
            at = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise BadHeader("Date", f"not a date: {text[:60]!r}") from None
        if at.tzinfo is None:  # RFC 5322's "-0000": the time is UTC, its zone unknown
            at = at.replace(tzinfo=UTC)
        at = at.astimezone(UTC)
    if not EARLIEST <= at <= now + timedelta(days=1):
        raise BadHeader("Date", f"impossible date {at:%Y-%m-%d}")
    return at


def quick_date(text: str) -> datetime | None:
    """The UTC time of an RFC 5322 date-time in its usual shape ('Mon, 5 Jan 2026 08:00:00 +0100'); None otherwise."""
    match = _RFC_DATE.fullmatch(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    try:
        local = datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None  # 30 February and the like: the general parser says why
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    return local - offset if sign == "+" else local + offset


def _addresses(fields: Fields, header: str) -> list[Address]:
    values = fields.get(header)
    if not values:
        return []
    simple = _simple_addresses(values)
    if simple is not None:
        return simple
    found: list[Address] = []
    for name, address in getaddresses(values):
        address = address.strip().strip("<>").strip()
        if "@" not in address or " " in address:
            continue
        found.append((address, _display_name(name)))
    return found


def _simple_addresses(values: list[str]) -> list[Address] | None:
    """The common shapes (``a@b``, ``Name <a@b>``, comma-separated, no quotes or comments) without the
    general parser, which costs most of a capture's time; None sends anything else to ``getaddresses``."""
    found: list[Address] = []
    for value in values:
        if '"' in value or "(" in value or "=?" in value:
            return None
        for part in value.split(","):
            if not part.strip():
                continue
            match = _SIMPLE.match(part)
            if match is None:
                return None
            name, bracketed, bare = match.groups()
            found.append((bracketed or bare, " ".join((name or "").split())))
    return found


def _display_name(name: str) -> str:
    if "=?" not in name:
        return name.strip()
    try:
        return str(make_header(decode_header(name))).strip()
    except (LookupError, UnicodeError, ValueError, MessageError):  # a broken encoded word: keep the raw text
        return name.strip()


def _key(fields: Fields) -> str:
    message_id = _first(fields, "message-id").strip()
    if message_id:
        return message_id.strip("<>").strip().lower()
    digest = hashlib.sha256()
    for header in _DIGEST_HEADERS:
        digest.update(_first(fields, header).encode("utf-8") + b"\0")
    return "digest:" + digest.hexdigest()[:32]
