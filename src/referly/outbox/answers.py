"""What an incoming message is to the outbox: a reply, an automatic reply, a bounce (hard or soft), or unrelated.

Pure: ``read`` turns the raw message into ``Facts``; ``classify`` weighs them against the sent messages they
may concern (looked up by the caller) and says which message and why. Never an exception for a bad message:
garbage is ``unrelated`` with a reason.

- A reply names one of our Message-IDs in In-Reply-To or References; failing that, it comes from the
  recipient of a message sent within ``THREAD_DAYS`` with that message's subject behind "Re:".
- An automatic reply (RFC 3834): ``Auto-Submitted`` other than "no", ``X-Autoreply``, ``X-Autorespond``,
  ``Precedence: auto_reply|bulk|junk`` on a reply, or an out-of-office subject in English or French.
- A bounce: see ``bounces.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape

from referly.outbox.away import return_date
from referly.outbox.bounces import Bounce, Unreadable, looks_like_bounce, read_bounce

THREAD_DAYS = 30
REPLY = "reply"
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
UNRELATED = "unrelated"

_IDS = re.compile(r"<[^<>\s]+>")
_PREFIX = re.compile(r"^\s*(?:(?:re|r[ée]f|aw|sv|antw|fwd?|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_OUT_OF_OFFICE = re.compile(
    r"\b(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto[- ]?response|"
    r"away from (?:the )?office|on vacation|on leave|absence|absent du bureau|absent|réponse automatique|"
    r"reponse automatique|message d['’]absence|en congés?|hors du bureau)\b",
    re.IGNORECASE,
)
_QUOTE_HEAD = re.compile(
    r"^(?:on .{0,200}wrote:?|le .{0,200}a écrit\s*:?|-+ ?original message ?-+|-+ ?message d'origine ?-+|"
    r"from:\s|de\s?:\s|envoyé\s?:\s|sent:\s)",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<(?:script|style)\b.*?</(?:script|style)>|<[^>]+>", re.IGNORECASE | re.DOTALL)
LINE = 300


@dataclass(frozen=True)
class Facts:
    sender: str  # lower-cased address, "" when none
    subject: str
    at: datetime | None
    message_ids: tuple[str, ...]  # In-Reply-To first, then References, newest first
    automatic: bool  # RFC 3834 headers or an out-of-office subject
    bulk: bool  # Precedence: bulk or junk: automatic only on a reply
    first_line: str
    back_on: date | None  # the return date an out-of-office gives
    bounce: Bounce | None
    broken: str  # why a would-be bounce cannot be read, else ""
    bounce_like: bool


@dataclass(frozen=True)
class Sent:
    """A sent message an incoming one may concern."""

    pk: int
    message_id: str
    to_address: str  # lower-cased
    subject: str
    sent_at: datetime
    owner_address: str  # lower-cased


@dataclass(frozen=True)
class Answer:
    kind: str  # reply, auto_reply, bounce or unrelated
    message: int | None = None  # the outbox message's pk
    reason: str = ""  # for unrelated: why
    hard: bool = False
    status: str = ""
    address: str = ""  # the address that bounced
    first_line: str = ""
    back_on: date | None = None
    delayed: bool = False


def read(raw: bytes) -> Facts:
    """Everything ``classify`` needs from the raw message, and nothing of its text but the first line."""
    msg = message_from_bytes(raw)
    sender = _sender(msg)
    subject = header_text(msg.get("Subject"))
    at = _date(msg.get("Date"))
    ids = _IDS.findall(header_text(msg.get("In-Reply-To"))) + list(
        reversed(_IDS.findall(header_text(msg.get("References"))))
    )
    submitted = header_text(msg.get("Auto-Submitted")).strip().lower()
    precedence = header_text(msg.get("Precedence")).strip().lower()
    automatic = (
        (bool(submitted) and not submitted.startswith("no"))
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or precedence == "auto_reply"
        or bool(_OUT_OF_OFFICE.search(_PREFIX.sub("", subject)))
    )
    bounce, broken, bounce_like = None, "", looks_like_bounce(msg, sender, subject)
    if bounce_like:
        try:
            bounce = read_bounce(msg)
        except Unreadable as exc:
            broken = str(exc)
        except Exception as exc:  # a malformed message must not stop a sync: it is counted as unreadable
            broken = f"an unreadable bounce ({type(exc).__name__})"
    text = body_text(msg) if not bounce_like else ""
    first = first_line(text)
    back = return_date(f"{subject}\n{text}", at.date()) if automatic and at else None
    return Facts(
        sender=sender,
        subject=subject,
        at=at,
        message_ids=tuple(dict.fromkeys(ids)),
        automatic=automatic,
        bulk=precedence in {"bulk", "junk"},
        first_line=first,
        back_on=back,
        bounce=bounce,
        broken=broken,
        bounce_like=bounce_like,
    )


def classify(facts: Facts, sent: list[Sent], owner_address: str, now: datetime) -> Answer:
    """Which of ``sent`` the message concerns, and how; ``unrelated`` with the reason when none."""
    by_id = {s.message_id: s for s in sent}
    if facts.bounce_like:
        return _bounce(facts, sent, by_id, owner_address, now)
    if facts.sender and facts.sender == owner_address.lower():
        return Answer(UNRELATED, reason="our own message")
    named = next((by_id[i] for i in facts.message_ids if i in by_id), None)
    automatic = facts.automatic or (facts.bulk and named is not None)
    if named is not None and not automatic and facts.sender != named.to_address:
        return Answer(UNRELATED, reason="a reply from an unknown address")
    if named is None:
        named = _same_thread(facts, sent, owner_address, automatic)
    if named is None:
        if facts.message_ids or _PREFIX.match(facts.subject) or automatic:
            return Answer(UNRELATED, reason="not an answer to a message we sent")
        return Answer(UNRELATED, reason="not about the outbox")
    if automatic:
        return Answer(AUTO_REPLY, named.pk, back_on=facts.back_on)
    return Answer(REPLY, named.pk, first_line=facts.first_line)


def _same_thread(facts: Facts, sent: list[Sent], owner_address: str, automatic: bool) -> Sent | None:
    """The latest message sent to the sender within THREAD_DAYS, with the same subject behind a reply prefix
    (an automatic reply may have a subject of its own)."""
    if not facts.sender or facts.at is None:
        return None
    thread = normal_subject(facts.subject)
    replied = bool(_PREFIX.match(facts.subject)) or automatic
    for s in sorted(sent, key=lambda s: s.sent_at, reverse=True):
        if s.to_address != facts.sender or s.owner_address != owner_address.lower():
            continue
        if not timedelta(0) <= facts.at - s.sent_at <= timedelta(days=THREAD_DAYS):
            continue
        if (replied and normal_subject(s.subject) == thread) or automatic:
            return s
    return None


def _bounce(facts: Facts, sent: list[Sent], by_id: dict[str, Sent], owner_address: str, now: datetime) -> Answer:
    if facts.broken:
        return Answer(UNRELATED, reason=f"unreadable bounce: {facts.broken}")
    bounce = facts.bounce
    if bounce is None:
        return Answer(UNRELATED, reason="a bounce naming no address")
    if bounce.delayed:
        return Answer(UNRELATED, reason="a delay warning: the server is still trying")
    named = next((by_id[i] for i in bounce.original_ids if i in by_id), None)
    if named is None:  # no Message-ID of ours quoted: the failed address, sent to by this owner lately
        when = facts.at or now
        named = next(
            (
                s
                for s in sorted(sent, key=lambda s: s.sent_at, reverse=True)
                if s.to_address in bounce.recipients
                and s.owner_address == owner_address.lower()
                and timedelta(0) <= when - s.sent_at <= timedelta(days=THREAD_DAYS)
            ),
            None,
        )
    if named is None:
        return Answer(UNRELATED, reason="a bounce for a message we never sent")
    address = named.to_address if named.to_address in bounce.recipients else bounce.recipients[0]
    return Answer(BOUNCE, named.pk, hard=bounce.hard, status=bounce.status, address=address)


def normal_subject(subject: str) -> str:
    """The thread's subject: without Re:/Fwd:/Réf. prefixes, case and spacing."""
    return " ".join(_PREFIX.sub("", subject).split()).casefold()


def header_text(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:
        return " ".join(text.split())
    try:
        return " ".join(str(make_header(decode_header(text))).split())
    except (LookupError, UnicodeError, ValueError):
        return " ".join(text.split())


def _sender(msg: Message) -> str:
    for _, address in getaddresses([header_text(v) for v in msg.get_all("From") or []]):
        if "@" in address:
            return address.strip().lower()
    return ""


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        at = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def body_text(msg: Message) -> str:
    """The first text/plain part, else the first text/html one without its tags; "" when none."""
    html = ""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind not in {"text/plain", "text/html"} or part.get_filename():
            continue
        raw = part.get_payload(decode=True)
        if not isinstance(raw, bytes):
            continue
        try:
            text = raw.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:
            text = raw.decode("utf-8", "replace")
        if kind == "text/plain":
            return text
        html = html or unescape(_TAGS.sub("\n", text))
    return html


def first_line(text: str) -> str:
    """The reply's first line of its own: not quoted, not blank, before the quoted message begins."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(">"):
            continue
        if _QUOTE_HEAD.match(line):
            return ""
        return line[:LINE]
    return ""
