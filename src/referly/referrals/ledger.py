"""The asks ledger: every ask of a client contact, by anyone, checked against the caps first.

Services never commit: the caller's transaction does. The contact's row is locked while the ledger is
read and written, so two people asking the same contact at once cannot both slip under the cap.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from referly.crm.models import Account, Contact, Teammate
from referly.errors import InvalidInput, NotFound, NotPermitted
from referly.referrals.caps import AskRules, PastAsk, judge
from referly.referrals.models import Ask, AskKind, AskOutcome


def ask_rules() -> AskRules:
    """The caps and cool-down of the scoring settings' [gates] (one place for both)."""
    from referly.scoring.config import load_settings

    gates = load_settings().gates
    return AskRules(gates.asks_per_quarter, gates.account_asks_per_quarter, gates.cooldown_days)


def record_ask(
    contact_id: int,
    *,
    kind: str = AskKind.REFERRAL,
    asked_by: Teammate | None,
    now: datetime,
    override_reason: str = "",
    referral_id: int | None = None,
    rules: AskRules | None = None,
) -> Ask:
    """Record an ask of ``contact_id``, or raise ``NotPermitted`` saying which rule it would break."""
    if kind not in AskKind.values:
        raise InvalidInput(
            f"The ask kind {kind!r} is not one of {', '.join(AskKind.values)}", field="kind", code="unknown_ask_kind"
        )
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}", code="contact_not_found")
    Account.objects.select_for_update().filter(pk=contact.account_id).first()  # the account cap, too
    past = [
        PastAsk(a.contact_id, a.account_id, a.asked_at, a.outcome, a.outcome_at)
        for a in Ask.objects.filter(Q(contact_id=contact.pk) | Q(account_id=contact.account_id))
    ]
    verdict = judge(
        contact.pk,
        contact.account_id,
        past,
        now,
        rules or ask_rules(),
        do_not_contact=contact.do_not_contact,
        opted_out=contact.opted_out_of_asks,
    )
    reason = override_reason.strip()
    if verdict.forbidden:
        raise NotPermitted(f"{contact.name} must not be asked: {'; '.join(verdict.forbidden)}", code="ask_forbidden")
    if verdict.limits and not reason:
        raise NotPermitted(
            f"{contact.name} cannot be asked now: {'; '.join(verdict.limits)}",
            detail="to ask anyway, give an override reason; it is recorded",
            field="override_reason",
            code="ask_limited",
        )
    return Ask.objects.create(
        contact=contact,
        account_id=contact.account_id,
        asked_by=asked_by,
        kind=kind,
        asked_at=now,
        referral_id=referral_id,
        override_reason=reason if verdict.limits else "",
    )


def settle(ask_id: int, outcome: str, now: datetime) -> Ask:
    """Record how an ask ended (accepted, declined, no_response): a decline starts the cool-down."""
    if outcome not in AskOutcome.values or outcome == AskOutcome.PENDING:
        raise InvalidInput(
            f"The outcome {outcome!r} is not one of accepted, declined, no_response",
            field="outcome",
            code="unknown_outcome",
        )
    ask = Ask.objects.filter(pk=ask_id).first()
    if ask is None:
        raise NotFound(f"No ask with id {ask_id}", code="ask_not_found")
    ask.outcome, ask.outcome_at = outcome, max(now, ask.asked_at)
    ask.save(update_fields=["outcome", "outcome_at"])
    return ask


def settle_for_referral(referral_id: int, outcome: str, now: datetime) -> None:
    """The referral's own ask ends with it: accepted on introduction, declined, or no response."""
    for ask in Ask.objects.filter(referral_id=referral_id, outcome=AskOutcome.PENDING):
        settle(ask.pk, outcome, now)
