"""Follow-ups: at most one per ask, proposed when the ask has no reply by its due day, sent only once approved.

An ask is due for a follow-up on ``follow_up_due`` (REFERLY_FOLLOW_UP_DAYS working days after it was sent; an
out-of-office moves it to the working day after the return date). ``propose_due`` drafts the follow-up from
the ``follow-up`` template in the ask's language and queues it *unapproved*: delivery leaves a follow-up alone
until ``approve`` dates it. A reply or a hard bounce cancels it (``returns.py``). When the follow-up itself has
waited as long with no reply, the ask and its follow-up are ``no_reply``. Services: the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import make_msgid

from referly import config
from referly.crm.models import Teammate
from referly.errors import Conflict, InvalidInput, NotPermitted
from referly.notices.models import NoticeKind
from referly.notices.services import notify
from referly.notices.wording import sentence
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.outbox.returns import url_of
from referly.outbox.states import allowed, change
from referly.outbox.timing import add_working_days
from referly.outreach.scripts import render
from referly.referrals.drafts import script_context

S = MessageState
WAITING = (S.SENT, S.AUTO_REPLY)  # an ask with no answer of a person yet


def is_due(message: OutboxMessage, today: object) -> bool:
    """Whether a sent ask without reply is due for its follow-up on ``today`` (pure)."""
    return (
        message.kind == MessageKind.ASK
        and message.state in WAITING
        and message.follow_up_due is not None
        and message.follow_up_due <= today  # type: ignore[operator]
    )


def propose_due(now: datetime) -> int:
    """Draft the follow-ups whose day has come, and close the follow-ups that waited in vain; how many drafted."""
    today = now.date()
    drafted = 0
    asks = (
        OutboxMessage.objects.filter(
            kind=MessageKind.ASK, state__in=WAITING, follow_up_due__lte=today, follow_ups__isnull=True
        )
        .select_related("owner", "referral__referrer_contact", "referral__referrer_account", "referral__owner")
        .select_related("referral__target_account", "referral__target_contact")
        .order_by("follow_up_due", "id")
    )
    for ask in asks:
        if propose(ask, now) is not None:
            drafted += 1
    give_up(now)
    return drafted


def propose(ask: OutboxMessage, now: datetime) -> OutboxMessage | None:
    """The follow-up of ``ask``, queued unapproved, and its owner told; None when it cannot be drafted (no
    referral to draft from, or the sponsor must not be contacted any more)."""
    if ask.follow_ups.exists():
        return None
    if ask.referral is None:
        return None
    try:
        script = render("follow-up", ask.language, script_context(ask.referral))
    except (NotPermitted, InvalidInput):
        return None
    domain = ask.from_address.rpartition("@")[2] or "localhost"
    follow_up = OutboxMessage.objects.create(
        kind=MessageKind.FOLLOW_UP,
        state=S.QUEUED,
        owner=ask.owner,
        contact=ask.contact,
        referral=ask.referral,
        ask=ask.ask,
        follow_up_of=ask,
        language=ask.language,
        channel=ask.channel,
        from_address=ask.from_address,
        reply_to=ask.reply_to,
        to_name=ask.to_name,
        to_address=ask.to_address,
        subject=script.subject or f"Re: {ask.subject}",
        text=script.body,
        message_id=make_msgid(domain=domain),
        created_at=now,
        next_try_at=None,  # not due for delivery until approved
    )
    text = sentence(_language(ask.owner), "follow_up", person=ask.to_name or ask.to_address)
    notify(ask.owner, NoticeKind.FOLLOW_UP, text, url_of(follow_up), f"outbox:{follow_up.pk}", now)
    return follow_up


def approve(message: OutboxMessage, by: Teammate, now: datetime) -> OutboxMessage:
    """Let a proposed follow-up leave: only its owner approves it, only while it waits."""
    if message.kind != MessageKind.FOLLOW_UP:
        raise InvalidInput("Only a follow-up waits for approval", field="message", code="not_a_follow_up")
    if message.owner_id != by.pk:
        raise NotPermitted(f"Only {message.owner} approves this follow-up", code="not_the_owner")
    if message.state != S.QUEUED or message.approved_at is not None:
        raise Conflict(
            f"The follow-up to {message.to_address} is {message.state}"
            + (", already approved" if message.approved_at else ""),
            code="follow_up_not_waiting",
        )
    message.approved_at, message.next_try_at = now, now
    message.save(update_fields=["approved_at", "next_try_at"])
    return message


def upkeep(now: datetime) -> dict[str, int]:
    """The worker's pass over follow-ups: draft those due (for their owner to approve), close those in vain."""
    return {"proposed": propose_due(now), "closed without reply": give_up(now)}


def give_up(now: datetime) -> int:
    """Sent follow-ups with no reply after their own wait: they and their ask become ``no_reply``; how many."""
    days = config.FOLLOW_UP_DAYS.count("days")
    closed = 0
    for follow_up in OutboxMessage.objects.filter(
        kind=MessageKind.FOLLOW_UP, state__in=WAITING, sent_at__isnull=False
    ).select_related("follow_up_of"):
        assert follow_up.sent_at is not None
        if add_working_days(follow_up.sent_at.date(), days) > now.date():
            continue
        change(follow_up, S.NO_REPLY, now, f"no reply {days} working days after the follow-up")
        ask = follow_up.follow_up_of
        if ask is not None and allowed(ask.state, S.NO_REPLY):
            change(ask, S.NO_REPLY, now, "no reply to the ask nor to its follow-up")
        closed += 1
    return closed


def _language(owner: Teammate) -> str:
    from referly.notices.models import DigestChoice

    choice = DigestChoice.objects.filter(teammate=owner).values_list("language", flat=True).first()
    return choice if choice in {"en", "fr"} else "en"
