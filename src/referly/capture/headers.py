"""A message's headers, read into what the rules need: who, when, which message, and whether it is bulk.

Only the header block is parsed (``compat32`` policy, the standard library's fastest); 8-bit bytes in
an unknown charset are replaced, never an error. A missing or impossible Date is a ``BadHeader``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

Address = tuple[str, str]  # (address, display name)

_PARSER = BytesHeaderParser(policy=compat32)
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
    message = _PARSER.parsebytes(raw)
    at = _date(message, now)
    senders = _addresses(message, "from")
    return MailHeader(
        key=_key(message),
        at=at,
        sender=senders[0] if senders else None,
        recipients=tuple(_addresses(message, "to") + _addresses(message, "cc")),
        list_id=_text(message.get("list-id")),
        precedence=_text(message.get("precedence")).strip().lower(),
        auto_submitted=_text(message.get("auto-submitted")).strip().lower(),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _date(message: Message, now: datetime) -> datetime:
    raw = message.get("date")
    if raw is None or not str(raw).strip():
        raise BadHeader("Date", "missing")
    text = _text(raw).strip()
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


def _addresses(message: Message, header: str) -> list[Address]:
    values = [_text(v) for v in message.get_all(header) or []]
    found: list[Address] = []
    for name, address in getaddresses(values):
        address = address.strip().strip("<>").strip()
        if "@" not in address or " " in address:
            continue
        found.append((address, _display_name(name)))
    return found


def _display_name(name: str) -> str:
    if "=?" not in name:
        return name.strip()
    try:
        return str(make_header(decode_header(name))).strip()
    except (LookupError, UnicodeError, ValueError):  # an unknown charset: keep the raw text
        return name.strip()


def _key(message: Message) -> str:
    message_id = _text(message.get("message-id")).strip()
    if message_id:
        return message_id.strip("<>").strip().lower()
    digest = hashlib.sha256()
    for header in _DIGEST_HEADERS:
        digest.update(_text(message.get(header)).encode("utf-8", "replace") + b"\0")
    return "digest:" + digest.hexdigest()[:32]
