"""Writes to referrals. Services never commit: the caller's transaction does.

Every change bumps the referral's version with a conditional UPDATE (compare-and-set): of two people
advancing the same referral from the same version, the second gets a ``Conflict`` and nothing of
theirs is written. Credit (sourced, influenced, suspected, duplicate) is derived by ``referrals.credit``
and recomputed after every change, so it never depends on the order people clicked in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from referly import config
from referly.crm import normalise
from referly.crm.models import (
    Account,
    Contact,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    OpportunityStageChange,
    Teammate,
)
from referly.errors import Conflict, InvalidInput, NotFound, NotPermitted
from referly.outreach.scripts import SCRIPT_CHANNEL, script_key
from referly.referrals import credit, drafts, ledger, queries
from referly.referrals.lifecycle import check_transition
from referly.referrals.models import AskOutcome, Referral, ReferralStage, ReferralTransition
from referly.scoring.queries import visible_action

S = ReferralStage
THANKED_AT = (S.INTRODUCED, S.OPPORTUNITY, S.WON)
ASK_OUTCOME: dict[str, str] = {  # plain strings: an enum member does not hash like its value
    S.INTRODUCED.value: AskOutcome.ACCEPTED.value,
    S.DECLINED.value: AskOutcome.DECLINED.value,
    S.NO_RESPONSE.value: AskOutcome.NO_RESPONSE.value,
}


def create_from_action(
    action_id: int, actor: Teammate | None, now: datetime, channel: str | None = None, lang: str = "en"
) -> Referral:
    """A referral identified from a next best action: its sponsor, target, owner, channel and script."""
    action = visible_action(None, action_id, latest=False)
    chosen = channel or action.channel
    chosen = chosen if chosen in SCRIPT_CHANNEL else "email"
    return create(
        action.sponsor,
        action.target_account_id,
        action.target_contact,
        action.owner,
        now=now,
        actor=actor,
        channel=chosen,
        script=script_key(SCRIPT_CHANNEL[chosen], action.components.get("moment"), lang),
        note=f"From next best action {action_id}",
    )


def create_explicit(
    referrer_email: str,
    target_domain: str,
    target_email: str | None,
    target_name: str | None,
    target_title: str,
    owner: Teammate,
    *,
    now: datetime,
    actor: Teammate | None,
    channel: str | None,
    lang: str = "en",
) -> Referral:
    """A referral named by the people's e-mails and the target's domain (a new target person is recorded)."""
    account = account_by_domain(target_domain)
    chosen = channel or "email"
    if chosen not in SCRIPT_CHANNEL:
        raise _unknown_channel(chosen)
    return create(
        contact_by_email(referrer_email, "referrer"),
        account.pk,
        target_person(account, target_email, target_name, target_title),
        owner,
        now=now,
        actor=actor,
        channel=chosen,
        script=script_key(SCRIPT_CHANNEL[chosen], None, lang),
    )


def create(
    referrer: Contact,
    target_account_id: int,
    target: Contact | None,
    owner: Teammate,
    *,
    now: datetime,
    actor: Teammate | None,
    channel: str = "email",
    script: str = "",
    note: str = "",
) -> Referral:
    """Register a referral; refuses a referrer or target who must not be contacted."""
    if referrer.do_not_contact or referrer.opted_out_of_asks:
        raise NotPermitted(
            f"{referrer.name} must not be asked for referrals (do-not-contact or opted out)",
            field="referrer",
            code="do_not_contact",
        )
    if target is not None and target.do_not_contact:
        raise NotPermitted(
            f"{target.name} is marked do-not-contact: they cannot be referred",
            field="target_contact",
            code="do_not_contact",
        )
    if target is not None and target.account_id != target_account_id:
        raise InvalidInput(
            f"The target contact {target.name} does not work at the target account",
            field="target_contact",
            code="wrong_account",
        )
    if referrer.account_id == target_account_id:
        raise InvalidInput(
            "A referral must name another account than the referrer's as its target", field="target", code="own_account"
        )
    if channel not in SCRIPT_CHANNEL:
        raise _unknown_channel(channel)
    referral = Referral.objects.create(
        referrer_contact=referrer,
        referrer_account_id=referrer.account_id,
        target_account_id=target_account_id,
        target_contact=target,
        owner=owner,
        channel=channel,
        script_key=script,
        created_at=now,
        stage_changed_at=now,
    )
    ReferralTransition.objects.create(referral=referral, to_stage=S.IDENTIFIED, at=now, actor=actor, note=note)
    recompute_credit(around=referral.pk)
    referral.refresh_from_db()
    return referral


def advance(
    referral_id: int,
    stage: str,
    *,
    actor: Teammate | None,
    now: datetime,
    note: str = "",
    expected_version: int | None = None,
    consent: bool = False,
    override_reason: str = "",
    recompute: bool = True,
) -> Referral:
    """Move a referral to ``stage``, or raise: ``NotFound``, ``Conflict`` (forbidden move, stale version),
    ``NotPermitted`` (asking the referrer would break a cap or cool-down and no override reason is given).
    ``recompute=False`` leaves the credit rules to the caller (a sweep moving many referrals runs them once)."""
    with transaction.atomic():  # a refusal half-way (the ask cap) leaves nothing behind
        moved = _advance(referral_id, stage, actor, now, note, expected_version, consent, override_reason)
        if recompute:
            recompute_credit(around=moved.pk)
            moved.refresh_from_db()
        return moved


def _advance(
    referral_id: int,
    stage: str,
    actor: Teammate | None,
    now: datetime,
    note: str,
    expected_version: int | None,
    consent: bool,
    override_reason: str,
) -> Referral:
    referral = queries.visible(None, referral_id)
    previous = referral.stage
    version = referral.version if expected_version is None else expected_version
    if version != referral.version:
        raise _stale(referral_id, version, referral.version)
    check_transition(referral.stage, stage)
    changes: dict[str, object] = {"stage": stage, "stage_changed_at": now, "version": F("version") + 1}
    if stage == S.INTRODUCED:
        if referral.consent_confirmed_at is None and not consent:
            raise Conflict(
                "Double opt-in: the referrer has not confirmed that the person agreed to be introduced",
                detail="record it with --consent once they have",
                field="consent",
                code="consent_required",
            )
        if referral.consent_confirmed_at is None:
            changes["consent_confirmed_at"] = now
    moved = Referral.objects.filter(pk=referral_id, version=version).update(**changes)
    if moved == 0:  # someone else changed it between our read and our write
        raise _stale(referral_id, version, Referral.objects.get(pk=referral_id).version)
    if stage == S.REQUESTED:
        ledger.record_ask(
            referral.referrer_contact_id,
            asked_by=actor or referral.owner,
            now=now,
            override_reason=override_reason,
            referral_id=referral_id,
        )
    if stage in ASK_OUTCOME:
        ledger.settle_for_referral(referral_id, ASK_OUTCOME[stage], now)
    if stage == S.OPPORTUNITY and referral.opportunity_id is None:
        Referral.objects.filter(pk=referral_id).update(opportunity_id=_open_opportunity(referral, now).pk)
    referral.refresh_from_db()
    if stage in (S.WON, S.LOST) and referral.opportunity_id:
        _close_opportunity(referral.opportunity_id, stage, now)
    ReferralTransition.objects.create(
        referral_id=referral_id,
        from_stage=previous,
        to_stage=stage,
        at=now,
        actor=actor,
        note=note,
        draft=drafts.thank_you(queries.visible(None, referral_id), stage) if stage in THANKED_AT else "",
    )
    return referral


def _stale(referral_id: int, expected: int, current: int) -> Conflict:
    return Conflict(
        f"Referral {referral_id} changed since you read it (you had version {expected}, it is now {current}): "
        "reload it and try again",
        field="version",
        code="stale_version",
    )


def _unknown_channel(channel: str) -> InvalidInput:
    return InvalidInput(
        f"The channel {channel!r} is not one of {', '.join(SCRIPT_CHANNEL)}", field="channel", code="unknown_channel"
    )


def _open_opportunity(referral: Referral, now: datetime) -> Opportunity:
    """Reaching opportunity links the open deal at the target, or creates one naming the referrer."""
    open_deal = (
        Opportunity.objects.filter(account_id=referral.target_account_id)
        .exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])
        .order_by("created_on", "id")
        .first()
    )
    if open_deal is not None:  # the account was already in our pipeline: link it (the credit rules say influenced)
        if not open_deal.referring_contact_id:
            Opportunity.objects.filter(pk=open_deal.pk).update(
                referring_contact_id=referral.referrer_contact_id, referring_account_id=referral.referrer_account_id
            )
        return open_deal
    deal = Opportunity.objects.create(
        account_id=referral.target_account_id,
        name=f"{referral.target_account.name} (referred by {referral.referrer_account.name})",
        stage=OpportunityStage.QUALIFICATION,
        source=OpportunitySource.REFERRAL,
        source_detail=f"Referly referral {referral.pk}",
        owner_id=referral.owner_id,
        created_on=now.date(),
        referring_contact_id=referral.referrer_contact_id,
        referring_account_id=referral.referrer_account_id,
    )
    OpportunityStageChange.objects.create(opportunity=deal, stage=deal.stage, changed_at=now)
    return deal


def _close_opportunity(opportunity_id: int, stage: str, now: datetime) -> None:
    target = OpportunityStage.WON if stage == S.WON else OpportunityStage.LOST
    deal = Opportunity.objects.get(pk=opportunity_id)
    if deal.stage != target:
        Opportunity.objects.filter(pk=deal.pk).update(stage=target, closed_on=now.date())
        OpportunityStageChange.objects.create(opportunity=deal, stage=target, changed_at=now)


def recompute_credit(window_days: int | None = None, around: int | None = None) -> int:
    """Apply the credit rules to every referral (or only to those that share a target with ``around``, the
    one referral that changed: the others' credit cannot move); returns how many changed."""
    window = window_days if window_days is not None else config.ATTRIBUTION_DAYS.count("days")
    scope = Referral.objects.all() if around is None else Referral.objects.filter(pk__in=sharing_a_target(around))
    rows = list(
        scope.values(
            "id",
            "created_at",
            "target_account_id",
            "target_contact__email",
            "stage",
            "stage_changed_at",
            "consent_confirmed_at",
            "opportunity_id",
            "attribution",
            "duplicate_of_id",
            "credit_note",
        )
    )
    registrations = [
        credit.Registration(
            r["id"],
            r["created_at"],
            r["target_account_id"],
            r["target_contact__email"],
            r["stage_changed_at"] if _ended_unintroduced(r["stage"], r["consent_confirmed_at"]) else None,
            r["opportunity_id"],
        )
        for r in rows
    ]
    targets = {r["target_account_id"] for r in rows}
    deals = [
        credit.Deal(*d)
        for d in Opportunity.objects.filter(account_id__in=targets).values_list(
            "id", "account_id", "created_on", "closed_on", "stage", "source"
        )
    ]
    assigned = credit.assign(registrations, deals, window)
    changed = []
    for r in rows:
        found = assigned[r["id"]]
        linked = r["opportunity_id"] if found.attribution == "suspected" else found.opportunity_id
        new = credit.Credit(found.attribution, found.duplicate_of, linked, found.reason)  # suspected: never linked
        if (r["attribution"], r["duplicate_of_id"], r["opportunity_id"], r["credit_note"]) != (
            new.attribution,
            new.duplicate_of,
            new.opportunity_id,
            new.reason,
        ):
            changed.append(
                Referral(
                    pk=r["id"],
                    attribution=new.attribution,
                    duplicate_of_id=new.duplicate_of,
                    opportunity_id=new.opportunity_id,
                    credit_note=new.reason,
                )
            )
    Referral.objects.bulk_update(changed, ["attribution", "duplicate_of", "opportunity", "credit_note"], batch_size=500)
    return len(changed)


def sharing_a_target(referral_id: int) -> set[int]:
    """``referral_id`` and every referral linked to it through a shared target account or target e-mail, step
    by step (the credit rules compare referrals on exactly these): the only ones whose credit it can change."""
    accounts: set[int] = set()
    emails: set[str] = set()
    while True:
        found = list(
            Referral.objects.filter(
                Q(pk=referral_id) | Q(target_account_id__in=accounts) | Q(target_contact__email__in=emails)
            ).values_list("id", "target_account_id", "target_contact__email")
        )
        more_accounts = {account for _, account, _ in found} - accounts
        more_emails = {email for _, _, email in found if email} - emails
        if not more_accounts and not more_emails:
            return {pk for pk, _, _ in found}
        accounts |= more_accounts
        emails |= more_emails


def _ended_unintroduced(stage: str, consent_at: datetime | None) -> bool:
    return stage in (S.DECLINED, S.NO_RESPONSE) or (stage == S.WITHDRAWN and consent_at is None)


def refresh(now: datetime, silence_days: int | None = None) -> dict[str, int]:
    """The daily sweep: silent asks become no_response, closed deals move their referrals, credit is redone."""
    days = silence_days if silence_days is not None else config.NO_RESPONSE_DAYS.count("days")
    silent = Referral.objects.filter(stage=S.REQUESTED, stage_changed_at__lte=now - timedelta(days=days))
    expired = 0
    for referral_id in silent.values_list("id", flat=True):
        advance(referral_id, S.NO_RESPONSE, actor=None, now=now, note=f"No answer in {days} days", recompute=False)
        expired += 1
    followed = follow_deals(now)
    return {"no_response": expired, "followed_deals": followed, "credit_changes": recompute_credit()}


def follow_deals(now: datetime) -> int:
    """Referrals at opportunity whose deal was won or lost (in the CRM, by an import) follow it.
    The caller runs the credit rules afterwards."""
    closed = Referral.objects.filter(
        stage=S.OPPORTUNITY, opportunity__stage__in=[OpportunityStage.WON, OpportunityStage.LOST]
    )
    moved = list(closed.values_list("id", "opportunity__stage"))
    for referral_id, deal_stage in moved:
        note = f"The deal was {deal_stage} in the CRM"
        advance(referral_id, deal_stage, actor=None, now=now, note=note, recompute=False)
    return len(moved)


def teammate_by_email(email: str | None) -> Teammate | None:
    if not email:
        return None
    found = Teammate.objects.filter(email=normalise.email(email)).first()
    if found is None:
        raise InvalidInput(f"No teammate with the e-mail {email}", field="owner", code="unknown_teammate")
    return found


def contact_by_email(email: str, what: str = "contact") -> Contact:
    found = Contact.objects.filter(email=normalise.email(email)).first()
    if found is None:
        raise NotFound(f"No {what} with the e-mail {email} among the contacts", field=what, code="unknown_contact")
    return found


def target_person(account: Account, email: str | None, name: str | None, title: str = "") -> Contact | None:
    """The person to introduce: an existing contact, or a new one holding only name, work e-mail and role."""
    if not email:
        if name:
            raise InvalidInput(
                "A new target contact needs their work e-mail (--target-contact)",
                field="target_contact",
                code="email_required",
            )
        return None
    found = Contact.objects.filter(email=normalise.email(email)).first()
    if found is not None:
        return found
    if not name:
        raise NotFound(
            f"No target contact with the e-mail {email} (give --target-name to record them)",
            field="target_contact",
            code="unknown_contact",
        )
    first, _, last = name.strip().partition(" ")
    from referly.crm.services import add_record

    return add_record(Contact(account=account, first_name=first, last_name=last, email=email, title=title))


def account_by_domain(domain: str) -> Account:
    found = Account.objects.filter(domain=normalise.domain(domain)).first()
    if found is None:
        raise NotFound(f"No target account with the domain {domain}", field="target_account", code="unknown_account")
    return found
