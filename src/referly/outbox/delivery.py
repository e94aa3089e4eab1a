"""Handing queued messages to the SMTP server, after the commit that queued them, one message per transaction.

A message is claimed (``queued → sending``) and that is committed *before* the SMTP conversation: if the worker
dies between the server's "250 OK" and the next commit, the message is found in ``sending`` by a later pass and
reconciled (``reconcile.py``), never sent a second time blindly. Two workers never take the same message: on
PostgreSQL the claim skips rows another worker holds (``FOR UPDATE SKIP LOCKED``); everywhere the state change is a
compare-and-set (``states.change``).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from smtplib import SMTP

from django.db import connection, transaction

from referly import config, mail
from referly.crm.models import Contact
from referly.errors import Conflict, InvalidInput, Unavailable
from referly.notices.services import notify
from referly.outbox import reconcile
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.outbox.states import change
from referly.outbox.timing import add_working_days, backoff

HOUR = timedelta(hours=1)


@dataclass
class Pass:
    """One delivery pass: its clock, limits, and each owner's sends within the last hour (counted once)."""

    now: datetime
    hourly_limit: int
    max_attempts: int
    follow_up_days: int
    sent_in_hour: dict[int, list[datetime]] = field(default_factory=dict)
    held: set[int] = field(default_factory=set)

    def over_limit(self, owner_id: int) -> datetime | None:
        """When the owner may send again, if they reached the hourly limit; None when they may send now."""
        if owner_id not in self.sent_in_hour:
            found = OutboxMessage.objects.filter(owner_id=owner_id, sent_at__gt=self.now - HOUR)
            self.sent_in_hour[owner_id] = sorted(at for at in found.values_list("sent_at", flat=True) if at)
        recent = self.sent_in_hour[owner_id]
        return recent[-self.hourly_limit] + HOUR if len(recent) >= self.hourly_limit else None


def deliver_due(now: datetime, *, most: int = 5000) -> dict[str, int]:
    """Send the queued messages whose time has come (at most ``most``); reconcile those left in ``sending`` first.

    Counts: sent, retry (back to queued with a backoff), failed, held (the owner's hourly limit), cancelled (the
    person was forgotten since), and what the
    reconciliation found (found_sent, unknown).
    """
    tally = {"sent": 0, "retry": 0, "failed": 0, "held": 0, "cancelled": 0, **reconcile.reconcile_stale(now)}
    run = Pass(
        now,
        config.SMTP_HOURLY_LIMIT.count("messages"),
        config.SMTP_MAX_ATTEMPTS.count("attempts"),
        config.FOLLOW_UP_DAYS.count("days"),
    )
    with ExitStack() as stack:
        client: SMTP | None = None
        for _ in range(most):
            with transaction.atomic():
                message = claim(run, tally)
            if message is None:
                break
            if client is None:
                try:
                    client = stack.enter_context(mail.connected())
                except Unavailable as exc:  # the server is down or refuses us: the others wait for the next pass
                    with transaction.atomic():
                        settle_failure(message, run, _reply(exc), permanent=False, tally=tally)
                    break
            try:
                mail.hand_over(client, composed(message))
            except (mail.Refused, InvalidInput) as exc:
                with transaction.atomic():
                    settle_failure(message, run, _reply(exc), permanent=_permanent(exc), tally=tally)
                if not _permanent(exc):  # the connection may be gone: open a new one for the next message
                    stack.close()
                    client = None
                continue
            with transaction.atomic():
                mark_sent(message, run)
            run.sent_in_hour[message.owner_id].append(now)
            tally["sent"] += 1
    return tally


def claim(run: Pass, tally: dict[str, int]) -> OutboxMessage | None:
    """The next due message, moved to ``sending`` (the caller commits before talking to the server)."""
    while True:
        due = (
            OutboxMessage.objects.filter(state=MessageState.QUEUED, next_try_at__lte=run.now)
            .exclude(owner_id__in=run.held)
            .exclude(kind=MessageKind.FOLLOW_UP, approved_at__isnull=True)  # a follow-up leaves once approved
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        message = due.order_by("next_try_at", "id").first()
        if message is None:
            return None
        if message.contact_id and Contact.objects.filter(pk=message.contact_id, erased_at__isnull=False).exists():
            change(message, MessageState.CANCELLED, run.now, "not sent: the person's data was erased (forget)")
            tally["cancelled"] += 1
            continue
        until = run.over_limit(message.owner_id)
        if until is not None:
            run.held.add(message.owner_id)
            held = OutboxMessage.objects.filter(
                owner_id=message.owner_id, state=MessageState.QUEUED, next_try_at__lte=run.now
            ).update(next_try_at=until)
            tally["held"] += held
            continue
        try:
            change(message, MessageState.SENDING, run.now, f"attempt {message.attempts + 1}")
        except Conflict:  # another worker took it between our read and our write
            continue
        message.attempts += 1
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts)
        return message


def composed(message: OutboxMessage) -> EmailMessage:
    """The message as it leaves, with the Message-ID stored when it was queued; a follow-up in its ask's thread."""
    email = mail.compose(
        (message.to_name, message.to_address),
        message.subject,
        message.text,
        message.html,
        message.reply_to,
        sender=message.from_address,
        message_id=message.message_id,
    )
    if message.follow_up_of_id is not None:
        asked = OutboxMessage.objects.filter(pk=message.follow_up_of_id).values_list("message_id", flat=True).first()
        if asked:
            email["In-Reply-To"] = asked
            email["References"] = asked
    return email


def mark_sent(message: OutboxMessage, run: Pass) -> None:
    change(message, MessageState.SENT, run.now, "the server took it")
    message.sent_at = run.now
    message.follow_up_due = add_working_days(run.now.date(), run.follow_up_days)
    message.last_error = ""
    message.save(update_fields=["sent_at", "follow_up_due", "last_error"])


def settle_failure(message: OutboxMessage, run: Pass, reply: str, *, permanent: bool, tally: dict[str, int]) -> None:
    """Back to ``queued`` with a backoff, or ``failed`` (and the owner told) after the last try or a final refusal."""
    message.last_error = reply[:2000]
    if permanent or message.attempts >= run.max_attempts:
        change(message, MessageState.FAILED, run.now, reply)
        message.save(update_fields=["last_error"])
        tries = "" if permanent else f" after {message.attempts} tries"
        notify(
            message.owner,
            "send_failed",
            f"Your message to {message.to_name or message.to_address} could not be sent{tries}: {reply}",
            f"/referrals/{message.referral_id}/" if message.referral_id else "/",
            f"outbox:{message.pk}",
            run.now,
        )
        tally["failed"] += 1
        return
    change(message, MessageState.QUEUED, run.now, reply)
    message.next_try_at = run.now + backoff(message.attempts)
    message.save(update_fields=["last_error", "next_try_at"])
    tally["retry"] += 1


def _reply(exc: Exception) -> str:
    return exc.reply if isinstance(exc, mail.Refused) else str(exc)


def _permanent(exc: Exception) -> bool:
    return isinstance(exc, InvalidInput) or (isinstance(exc, mail.Refused) and exc.permanent)
