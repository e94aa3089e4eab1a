"""A message's headers, read into what the rules need: who, when, which message, and whether it is bulk.

Only the nine fields the rules read are taken from the header block, unfolded (``read_fields``; a test
checks it against the standard library's header parser); addresses and dates are parsed by
``email.utils``. 8-bit bytes in an unknown charset are replaced, never an error. A missing or impossible
Date is a ``BadHeader``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

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


@dataclass(frozen=True)
class MailHeader:
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
        fields.setdefault(name.lower().decode("ascii"), []).append(value.strip().decode("utf-8", "replace"))
    return fields


# A wanted field's line and its continuation lines; the name is matched without case.
_FIELD = re.compile(
    rb"^(from|to|cc|date|message-id|subject|list-id|precedence|auto-submitted)[ \t]*:(.*(?:\n[ \t].*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_FOLDING = re.compile(rb"\r?\n(?=[ \t])")


def _first(fields: Fields, name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


def _date(fields: Fields, now: datetime) -> datetime:
    text = _first(fields, "date").strip()
    if not text:
        raise BadHeader("Date", "missing")
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


def _addresses(fields: Fields, header: str) -> list[Address]:
    values = fields.get(header, [])
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
            found.append((bracketed or bare, (name or "").strip()))
    return found


def _display_name(name: str) -> str:
    if "=?" not in name:
        return name.strip()
    try:
        return str(make_header(decode_header(name))).strip()
    except (LookupError, UnicodeError, ValueError):  # an unknown charset: keep the raw text
        return name.strip()


def _key(fields: Fields) -> str:
    message_id = _first(fields, "message-id").strip()
    if message_id:
        return message_id.strip("<>").strip().lower()
    digest = hashlib.sha256()
    for header in _DIGEST_HEADERS:
        digest.update(_first(fields, header).encode("utf-8") + b"\0")
    return "digest:" + digest.hexdigest()[:32]
