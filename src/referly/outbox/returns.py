"""Applying what comes back to the outbox: replies, automatic replies and bounces, read from a mailbox source.

``apply_incoming`` classifies one message (``answers.py``) and applies it in the caller's transaction:

- a reply: the message is ``replied`` (when, and its first line: nothing else of its text is kept), a pending
  follow-up is cancelled, the owner is told;
- an automatic reply: ``auto_reply``; a return date in it moves the follow-up to the working day after;
- a hard bounce: ``bounced``, the address is invalid (no more asks to it), the owner is told;
- a soft bounce: queued once more; a second one is ``bounced`` for good.

It answers what it did, as the sync summary counts it: ``reply``, ``auto_reply``, ``bounce_hard``,
``bounce_soft`` or ``unrelated: <reason>``. It never raises for a bad message. ``wanted`` picks, from a batch of
header blocks, those that may concern the outbox: only they are fetched whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.utils import getaddresses

from django.db.models import Q
from django.db.models.functions import Lower

from referly.notices.models import DigestChoice, NoticeKind
from referly.notices.services import notify
from referly.notices.wording import sentence
from referly.outbox.answers import (
    AUTO_REPLY,
    BOUNCE,
    REPLY,
    THREAD_DAYS,
    UNRELATED,
    Answer,
    Facts,
    Sent,
    classify,
    header_text,
    read,
)
from referly.outbox.models import InvalidAddress, MessageChange, MessageKind, MessageState, OutboxMessage
from referly.outbox.states import allowed, change

S = MessageState
WAS_SENT = (S.SENT, S.REPLIED, S.AUTO_REPLY, S.BOUNCED, S.NO_REPLY, S.QUEUED, S.SENDING)
# A header block worth a look even from a stranger: a thread, a delivery system, an automatic reply.
_SIGNALS = re.compile(
    rb"^(?:in-reply-to|references|auto-submitted|x-autoreply|x-autorespond|precedence)\s*:|mailer-daemon|postmaster@"
    rb"|multipart/report",
    re.IGNORECASE | re.MULTILINE,
)
_BOUNCE_SENDER = re.compile(
    rb"^from:.*(?:mailer-daemon|postmaster@|mail delivery)|^content-type:\s*multipart/report",
    re.IGNORECASE | re.MULTILINE,
)
_IDS = re.compile(r"<[^<>\s]+>")
BOUNCE_SENTENCES = {
    "en": "The address {address} of {person} bounced ({status}): no more asks will go to it",
    "fr": "L’adresse {address} de {person} est en échec ({status}) : plus aucune demande n’y sera envoyée",
}


def wanted(headers: Mapping[int, bytes], owner_address: str, now: datetime) -> set[int]:
    """The keys of the header blocks that may concern the outbox: a thread naming one of our Message-IDs, a
    bounce or delivery report, or a message from someone this owner sent to within THREAD_DAYS."""
    recipients = _recent_recipients(owner_address, now)
    looked: dict[int, tuple[str, list[str]]] = {}
    for key, raw in headers.items():
        if not recipients and not _SIGNALS.search(raw):
            continue
        if _BOUNCE_SENDER.search(raw):
            looked[key] = ("", [])  # a delivery system's message: always read whole
            continue
        msg = message_from_bytes(raw)
        sender = next((a.lower() for _, a in getaddresses([header_text(v) for v in msg.get_all("From") or []])), "")
        ids = _IDS.findall(header_text(msg.get("In-Reply-To")) + " " + header_text(msg.get("References")))
        if sender == owner_address.lower():
            continue
        looked[key] = (sender, ids)
    ours = set(
        OutboxMessage.objects.filter(message_id__in={i for _, ids in looked.values() for i in ids}).values_list(
            "message_id", flat=True
        )
    )
    return {
        key
        for key, (sender, ids) in looked.items()
        if (not sender and not ids) or sender in recipients or any(i in ours for i in ids)
    }


def apply_incoming(raw: bytes, owner_address: str, now: datetime) -> str:
    """Classify one incoming message and apply it to the outbox; what was done, as counted by the sync."""
    try:
        facts = read(raw)
    except Exception as exc:  # a message the email package cannot read is counted, never a stopped sync
        return f"{UNRELATED}: unreadable message ({type(exc).__name__})"
    answer = classify(facts, _candidates(facts, owner_address, now), owner_address, now)
    if answer.kind == UNRELATED or answer.message is None:
        return f"{UNRELATED}: {answer.reason}"
    message = OutboxMessage.objects.select_related("owner", "referral").get(pk=answer.message)
    at = facts.at or now
    if answer.kind == REPLY:
        return _reply(message, answer, facts, at, now)
    if answer.kind == AUTO_REPLY:
        return _auto_reply(message, answer, at, now)
    if answer.kind == BOUNCE:
        return _bounce(message, answer, at, now)
    return f"{UNRELATED}: {answer.reason}"


def _reply(message: OutboxMessage, answer: Answer, facts: Facts, at: datetime, now: datetime) -> str:
    if not allowed(message.state, S.REPLIED):
        return f"{UNRELATED}: already {message.state}"
    change(message, S.REPLIED, now, f"reply from {facts.sender}: {answer.first_line}"[:300])
    message.answered_at, message.answer_line = at, answer.first_line
    message.save(update_fields=["answered_at", "answer_line"])
    original = message.follow_up_of
    if original is not None and allowed(original.state, S.REPLIED):  # a reply to the follow-up answers the ask
        change(original, S.REPLIED, now, "the follow-up was answered")
        OutboxMessage.objects.filter(pk=original.pk).update(answered_at=at, answer_line=answer.first_line)
    cancel_follow_ups(message.follow_up_of or message, now, "the ask was answered")
    language = _language(message)
    text = sentence(language, "reply", person=_person(message), line=answer.first_line or "…")
    notify(message.owner, NoticeKind.REPLY, text, url_of(message), f"outbox:{message.pk}", now)
    return REPLY


def _auto_reply(message: OutboxMessage, answer: Answer, at: datetime, now: datetime) -> str:
    if message.state != S.AUTO_REPLY:
        if not allowed(message.state, S.AUTO_REPLY):
            return f"{UNRELATED}: already {message.state}"
        back = f" back on {answer.back_on:%Y-%m-%d}" if answer.back_on else ""
        change(message, S.AUTO_REPLY, now, f"automatic reply{back}")
    message.answered_at = message.answered_at or at
    if answer.back_on is not None:
        message.follow_up_due = day_after(answer.back_on)
    message.save(update_fields=["answered_at", "follow_up_due"])
    return AUTO_REPLY


def _bounce(message: OutboxMessage, answer: Answer, at: datetime, now: datetime) -> str:
    if not allowed(message.state, S.BOUNCED):
        return f"{UNRELATED}: already {message.state}"
    status = answer.status or ("permanent failure" if answer.hard else "temporary failure")
    bounced_before = MessageChange.objects.filter(message=message, to_state=S.BOUNCED).exists()
    change(message, S.BOUNCED, now, f"{'hard' if answer.hard else 'soft'} bounce {status} for {answer.address}")
    message.answered_at, message.bounce, message.last_error = at, "hard" if answer.hard else "soft", status
    message.save(update_fields=["answered_at", "bounce", "last_error"])
    if not answer.hard:
        if not bounced_before:  # tried once more, then bounced for good
            change(message, S.QUEUED, now, "a soft bounce: tried once more")
            OutboxMessage.objects.filter(pk=message.pk).update(next_try_at=now)
        return "bounce_soft"
    InvalidAddress.objects.get_or_create(
        address=answer.address.lower(), defaults={"since": now, "reason": status, "message": message}
    )
    cancel_follow_ups(message.follow_up_of or message, now, "the address bounced")
    text = BOUNCE_SENTENCES[_language(message)].format(address=answer.address, person=_person(message), status=status)
    notify(message.owner, NoticeKind.BOUNCE, text, url_of(message), f"outbox:{message.pk}", now)
    return "bounce_hard"


def cancel_follow_ups(ask: OutboxMessage, now: datetime, why: str) -> int:
    """Cancel the ask's follow-up not sent yet (approved or not); how many."""
    cancelled = 0
    for follow_up in OutboxMessage.objects.filter(follow_up_of=ask, kind=MessageKind.FOLLOW_UP, state=S.QUEUED):
        change(follow_up, S.CANCELLED, now, why)
        cancelled += 1
    return cancelled


def day_after(back_on: date) -> date:
    """The working day after a return date: a follow-up waits for the person to be back."""
    day = back_on + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def url_of(message: OutboxMessage) -> str:
    return f"/referrals/{message.referral_id}/" if message.referral_id else f"/outbox/{message.pk}/"


def _person(message: OutboxMessage) -> str:
    return message.to_name or message.to_address


def _language(message: OutboxMessage) -> str:
    choice = DigestChoice.objects.filter(teammate_id=message.owner_id).values_list("language", flat=True).first()
    return choice if choice in BOUNCE_SENTENCES else "en"


def _candidates(facts: Facts, owner_address: str, now: datetime) -> list[Sent]:
    """The sent messages the incoming one may concern: named by Message-ID, or to its sender (or the address
    that bounced) from this owner within THREAD_DAYS."""
    ids: Iterable[str] = facts.message_ids + (facts.bounce.original_ids if facts.bounce else ())
    addresses = {facts.sender} | set(facts.bounce.recipients if facts.bounce else ())
    since = (facts.at or now) - timedelta(days=THREAD_DAYS)
    found = (
        OutboxMessage.objects.annotate(to_lower=Lower("to_address"), owner_lower=Lower("owner__email"))
        .filter(
            Q(message_id__in=set(ids))
            | Q(owner_lower=owner_address.lower(), to_lower__in=addresses - {""}, sent_at__gte=since)
        )
        .filter(sent_at__isnull=False, state__in=WAS_SENT)
        .values_list("pk", "message_id", "to_lower", "subject", "sent_at", "owner_lower")
    )
    return [
        Sent(pk, mid, to, subject, sent_at, owner or "")
        for pk, mid, to, subject, sent_at, owner in found
        if sent_at is not None
    ]


def _recent_recipients(owner_address: str, now: datetime) -> set[str]:
    return set(
        OutboxMessage.objects.annotate(to_lower=Lower("to_address"), owner_lower=Lower("owner__email"))
        .filter(owner_lower=owner_address.lower(), sent_at__gte=now - timedelta(days=THREAD_DAYS))
        .values_list("to_lower", flat=True)
    )
