"""Queueing asks in the outbox. Services never commit: the caller's transaction does, and the worker sends after it.

``queue_ask`` checks the gates again (a detractor answer, an escalation, an opt-out, a ``forget`` or a hard bounce
since the draft refuse the send, with the reason), records the ask in the ledger (caps and cool-down), moves the
referral to ``requested`` and creates the queued message, all in the caller's transaction: either all of it is
written or none of it.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from email.headerregistry import Address

from django.db import transaction
from django.db.models import Q

from referly import config, mail
from referly.crm.models import Contact, ForgottenAddress, Signal, Teammate, address_digest
from referly.errors import Conflict, InvalidInput, NotFound, NotPermitted
from referly.outbox import guard
from referly.outbox.models import InvalidAddress, MessageChange, MessageKind, MessageState, OutboxMessage
from referly.outreach import context as script_context
from referly.outreach.scripts import read_script_key, render
from referly.referrals import drafts, services
from referly.referrals.models import Ask, Referral, ReferralStage
from referly.scoring.queries import visible_action

SENDABLE_CHANNELS = ("email",)


def queue_ask(
    source: Referral | int,
    owner: Teammate | None = None,
    channel: str = "email",
    language: str | None = None,
    subject: str | None = None,
    text: str | None = None,
    *,
    now: datetime,
    edited_by: Teammate | None = None,
    override_reason: str = "",
) -> OutboxMessage:
    """Queue the ask of ``source`` (a referral at ``identified``, or a next best action's id, which identifies one).

    The text is the rendered script unless ``subject``/``text`` are given (edited by ``edited_by``). Refuses with
    ``NotPermitted`` (a gate, a cap or cool-down), ``InvalidInput`` (a channel that cannot be sent, no address)
    or ``Conflict`` (the referral was already asked).
    """
    if channel not in SENDABLE_CHANNELS:
        raise InvalidInput(
            f"Only e-mail asks can be sent from Referly, not {channel!r}: copy the script with `referly script`",
            field="channel",
            code="channel_not_sendable",
        )
    with transaction.atomic():  # a refusal half-way leaves nothing behind, whatever the caller does next
        if isinstance(source, Referral):
            referral, filled = source, None
            lang = language or read_script_key(referral.script_key)[1]
        else:
            action = visible_action(None, source, latest=False)
            check_gates(action.sponsor, now.date())
            lang = language or "en"
            referral = services.create_from_action(source, owner or action.owner, now, channel, lang)
            filled = script_context.for_loaded_action(action)
        sender = owner or referral.owner
        if referral.stage != ReferralStage.IDENTIFIED:
            raise Conflict(
                f"Referral {referral.pk} is {referral.stage}: only a referral not asked yet (identified) can be sent",
                field="referral",
                code="already_asked",
            )
        contact = Contact.objects.get(pk=referral.referrer_contact_id)
        check_gates(contact, now.date())
        written = render("email", lang, filled if filled is not None else drafts.script_context(referral))
        final_subject = mail.one_line(subject if subject is not None else written.subject)
        final_text = (text if text is not None else written.body).strip() + "\n"
        if not final_subject or not final_text.strip():
            raise InvalidInput("An ask needs a subject and a text", field="subject", code="empty_message")
        edited = (final_subject, final_text) != (mail.one_line(written.subject), written.body.strip() + "\n")
        from_address, reply_to = addresses(sender)
        services.advance(
            referral.pk,
            ReferralStage.REQUESTED,
            actor=sender,
            now=now,
            note="Asked by e-mail from Referly",
            override_reason=override_reason,
        )
        message = OutboxMessage.objects.create(
            kind=MessageKind.ASK,
            state=MessageState.QUEUED,
            owner=sender,
            contact=contact,
            referral=referral,
            ask=Ask.objects.filter(referral_id=referral.pk).order_by("-asked_at", "-id").first(),
            language=lang,
            channel=channel,
            from_address=from_address,
            reply_to=reply_to,
            to_name=mail.one_line(contact.name),
            to_address=contact.email or "",
            subject=final_subject,
            text=final_text,
            html=as_html(final_text),
            message_id=mail.new_message_id(from_address),
            created_at=now,
            next_try_at=now,
        )
        who = edited_by or sender
        note = f"queued by {sender.name}" + (f"; text edited by {who.name}" if edited else "")
        MessageChange.objects.create(message=message, to_state=MessageState.QUEUED, at=now, note=note)
        return message


def addresses(owner: Teammate) -> tuple[str, str]:
    """From and Reply-To of an owner's ask: their own address, or the team's (``REFERLY_ASK_FROM``) replying to them."""
    if not owner.email:
        raise InvalidInput(
            f"{owner.name} has no e-mail address: an ask cannot be sent for them", field="owner", code="owner_no_email"
        )
    own = str(Address(display_name=mail.one_line(owner.name), addr_spec=owner.email))
    team = config.ASK_FROM.value().strip()
    if not team:
        return own, ""
    return team, own


def as_html(text: str) -> str:
    """The plain text as simple HTML: escaped, one paragraph per blank-line block."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs)
    return f'<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'


def check_gates(contact: Contact, today: date) -> None:
    """``NotPermitted`` naming every gate that forbids asking ``contact`` now."""
    found = guard.refusals(facts_about(contact, today), _detractor_max_score())
    if found:
        raise NotPermitted(
            f"{contact.name or 'This contact'} must not be asked now: {'; '.join(r.reason for r in found)}",
            field="referrer",
            code=found[0].code,
        )


def facts_about(contact: Contact, day: date) -> guard.Facts:
    address = (contact.email or "").lower()
    nps = (
        Signal.objects.filter(contact=contact, kind="nps", nps_score__isnull=False, occurred_on__lte=day)
        .order_by("-occurred_on", "nps_score")
        .values_list("nps_score", flat=True)
        .first()
    )
    open_at_account = Signal.objects.filter(account_id=contact.account_id, occurred_on__lte=day).filter(
        Q(resolved_on__isnull=True) | Q(resolved_on__gt=day)
    )
    escalation = open_at_account.filter(kind="support_escalation").order_by("occurred_on").first()
    churn = open_at_account.filter(kind="churn_risk").order_by("occurred_on").first()
    bounced = InvalidAddress.objects.filter(address=address).first() if address else None
    return guard.Facts(
        address=address,
        erased=contact.erased_at is not None,
        forgotten=bool(address) and ForgottenAddress.objects.filter(digest=address_digest(address)).exists(),
        do_not_contact=contact.do_not_contact,
        opted_out=contact.opted_out_of_asks,
        last_nps=nps,
        open_escalation_since=escalation.occurred_on if escalation else None,
        churn_risk_since=churn.occurred_on if churn else None,
        bounced_on=bounced.since.date() if bounced else None,
        bounce_reason=bounced.reason if bounced else "",
    )


def _detractor_max_score() -> int:
    from referly.scoring.config import load_settings

    return load_settings().gates.detractor_max_score


def settle_unknown(message_id: int, decision: str, by: str, now: datetime) -> OutboxMessage:
    """Settle a message left in "unknown — check" (a worker stopped while the server took it): a person says it
    did leave (``sent``), or has it sent again (``queue``). It is never re-sent without this decision."""
    from referly.outbox.states import change

    if decision not in ("sent", "queue"):
        raise InvalidInput(f"No decision {decision!r}: choose sent or queue", field="decision", code="decision")
    message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"No outbox message with id {message_id}", code="outbox_message_not_found")
    if message.state != MessageState.UNKNOWN:  # a bounced or failed message is never sent again this way
        raise Conflict(
            f"Message {message_id} is {message.state}, not unknown: there is nothing to settle", code="not_unknown"
        )
    if decision == "sent":
        change(message, MessageState.SENT, now, f"marked sent by {by}")
        if message.sent_at is None:
            message.sent_at = now
            message.save(update_fields=["sent_at"])
    else:
        change(message, MessageState.QUEUED, now, f"queued again by {by}")
        message.next_try_at = now
        message.save(update_fields=["next_try_at"])
    return message
