"""Reading a bounce: which address failed, hard or soft, with which status, and which message of ours it returns.

RFC 3464 delivery status notifications (``multipart/report; report-type=delivery-status``) are read field by
field: ``Action``, ``Status`` (5.x.x hard, 4.x.x soft: RFC 3463), ``Final-Recipient``, and our message's
Message-ID from an ``Original-Message-ID`` field or the returned message (or its headers) attached. The common
non-standard bounces (qmail, Exim, Postfix and Sendmail without a report part, Exchange, Gmail...) go to
``flufl.bounce``, Mailman's detectors, for the failed addresses; our Message-ID is then looked for in the
copy of the message they quote. Pure: a message in, a ``Bounce`` (or None, or a reason it is unreadable) out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"^(?:original-)?message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@", "mail-daemon@", "mailer_daemon@")
_BOUNCE_SUBJECTS = re.compile(
    r"^(?:undeliver(?:ed|able)|delivery status notification \((?:failure|delay)\)|mail delivery failed"
    r"|returned mail|failure notice|delivery failure|undelivered mail returned to sender|non remis"
    r"|message non délivré|échec de (?:la )?remise|delivery has failed)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Bounce:
    hard: bool
    recipients: tuple[str, ...]  # lower-cased
    status: str  # "5.1.1", or "" when the bounce says none
    original_ids: tuple[str, ...]  # Message-IDs of the returned message, angle brackets kept
    delayed: bool = False  # an RFC 3464 "delayed" report: the server is still trying


class Unreadable(ValueError):
    """A bounce whose report cannot be read: the text says what is missing."""


def looks_like_bounce(msg: Message, sender: str, subject: str) -> bool:
    """Whether the message presents itself as a bounce: a delivery report, or a delivery system's failure."""
    if is_report(msg):
        return True
    return sender.lower().startswith(_BOUNCE_SENDERS) or bool(_BOUNCE_SUBJECTS.match(subject.strip()))


def is_report(msg: Message) -> bool:
    return msg.get_content_type() == "multipart/report" and (msg.get_param("report-type") or "") == "delivery-status"


def read_bounce(msg: Message) -> Bounce | None:
    """The bounce, or None when nothing in it names a failed address; ``Unreadable`` for a broken report."""
    if is_report(msg):
        return _report(msg)
    temporary, permanent = all_failures(msg)
    if not temporary and not permanent:
        return None
    failed = permanent or temporary
    text = _text(msg)
    status = _STATUS.search(text)
    return Bounce(
        hard=bool(permanent),
        recipients=tuple(sorted(a.decode("utf-8", "replace").lower() for a in failed)),
        status=".".join(status.groups()) if status else "",
        original_ids=tuple(dict.fromkeys(_MESSAGE_ID.findall(_quoted(msg, text)))),
    )


def _report(msg: Message) -> Bounce:
    status_part = next((p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        raise Unreadable("a delivery report without its delivery-status part")
    blocks = _blocks(status_part)
    recipients: list[str] = []
    statuses: list[str] = []
    delayed = False
    for block in blocks[1:] or blocks:
        final = block.get("Final-Recipient") or block.get("Original-Recipient") or ""
        action = str(block.get("Action") or "").strip().lower()
        status = _STATUS.search(str(block.get("Status") or ""))
        if not final or status is None:
            continue
        address = str(final).partition(";")[2].strip().strip("<>").lower() or str(final).strip().lower()
        if "@" not in address:
            continue
        if action in {"delivered", "relayed", "expanded"}:
            continue
        delayed = delayed or action == "delayed"
        recipients.append(address)
        statuses.append(".".join(status.groups()))
    if not recipients:
        raise Unreadable("a delivery report with no failed recipient and status")
    ids = [
        str(v).strip()
        for b in blocks
        for k, v in b.items()
        if k.lower() in {"original-message-id", "x-original-message-id"}
    ]
    for part in msg.walk():
        if part.get_content_type() in {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"}:
            ids += _MESSAGE_ID.findall(_part_text(part))
    hard = any(s.startswith("5") for s in statuses)
    return Bounce(
        hard=hard,
        recipients=tuple(dict.fromkeys(recipients)),
        status=next((s for s in statuses if s.startswith("5")), statuses[0]),
        original_ids=tuple(dict.fromkeys(i for i in ids if i.startswith("<"))),
        delayed=delayed and not hard and all(s.startswith("4") for s in statuses),
    )


def _blocks(part: Message) -> list[Message]:
    """The report's field blocks: the per-message one, then one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    from email.parser import Parser

    text = payload if isinstance(payload, str) else ""
    return [Parser().parsestr(block, headersonly=True) for block in re.split(r"\r?\n\r?\n", text.strip()) if block]


def _part_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(p) for p in payload if isinstance(p, Message))
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return raw.decode(part.get_content_charset() or "utf-8", "replace")
    return str(payload)


def _text(msg: Message) -> str:
    return "\n".join(_part_text(p) for p in msg.walk() if not p.is_multipart())


def _quoted(msg: Message, text: str) -> str:
    """Where our message is quoted: an attached message, or the text after the bounce's own words."""
    attached = [_part_text(p) for p in msg.walk() if p.get_content_type() in {"message/rfc822", "text/rfc822-headers"}]
    return "\n".join(attached) if attached else text
