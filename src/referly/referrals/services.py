"""Writes to referrals. Services never commit: the caller's transaction does.

Every change bumps the referral's version with a conditional UPDATE (compare-and-set): of two people
advancing the same referral from the same version, the second gets a ``Conflict`` and nothing of
theirs is written.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from referly.crm.models import Opportunity, OpportunitySource, OpportunityStage, OpportunityStageChange, Teammate
from referly.errors import Conflict, InvalidInput, NotFound
from referly.referrals.lifecycle import check_transition
from referly.referrals.models import Referral, ReferralStage, ReferralTransition

S = ReferralStage


def create_from_action(action_id: int, actor: Teammate | None, now: datetime, channel: str | None = None) -> Referral:
    """A referral identified from a next best action: its sponsor, target, owner and channel."""
    from referly.scoring.models import NextBestAction

    try:
        action = NextBestAction.objects.select_related("sponsor").get(pk=action_id)
    except NextBestAction.DoesNotExist:
        raise NotFound(f"No next best action with id {action_id} (see `referly actions`)") from None
    referral = Referral.objects.create(
        referrer_contact_id=action.sponsor_id,
        referrer_account_id=action.sponsor_account_id,
        target_account_id=action.target_account_id,
        target_contact_id=action.target_contact_id,
        owner_id=action.owner_id,
        channel={"call": "call", "linkedin": "linkedin"}.get(channel or action.channel, "email"),
        created_at=now,
        stage_changed_at=now,
    )
    ReferralTransition.objects.create(
        referral=referral, to_stage=S.IDENTIFIED, at=now, actor=actor, note=f"From next best action {action_id}"
    )
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
) -> Referral:
    """Move a referral to ``stage``, or raise: ``NotFound``, ``Conflict`` (forbidden move, stale version)."""
    try:
        referral = Referral.objects.get(pk=referral_id)
    except Referral.DoesNotExist:
        raise NotFound(f"No referral with id {referral_id}") from None
    version = referral.version if expected_version is None else expected_version
    if version != referral.version:
        raise Conflict(_stale(referral_id, version, referral.version))
    check_transition(referral.stage, stage)
    changes: dict[str, object] = {"stage": stage, "stage_changed_at": now, "version": F("version") + 1}
    if stage == S.INTRODUCED:
        if referral.consent_confirmed_at is None and not consent:
            raise Conflict(
                "Double opt-in: the referrer has not confirmed that the person agreed to be introduced",
                detail="record it with --consent once they have",
            )
        if referral.consent_confirmed_at is None:
            changes["consent_confirmed_at"] = now
    if stage == S.OPPORTUNITY and referral.opportunity_id is None:
        changes["opportunity_id"] = _open_opportunity(referral, now).pk
    moved = Referral.objects.filter(pk=referral_id, version=version).update(**changes)
    if moved == 0:  # someone else changed it between our read and our write
        raise Conflict(_stale(referral_id, version, Referral.objects.get(pk=referral_id).version))
    ReferralTransition.objects.create(
        referral_id=referral_id, from_stage=referral.stage, to_stage=stage, at=now, actor=actor, note=note
    )
    referral.refresh_from_db()
    if stage in (S.WON, S.LOST) and referral.opportunity_id:
        _close_opportunity(referral.opportunity_id, stage, now)
    return referral


def _stale(referral_id: int, expected: int, current: int) -> str:
    return (
        f"Referral {referral_id} changed since you read it (you had version {expected}, it is now {current}): "
        "reload it and try again"
    )


def _open_opportunity(referral: Referral, now: datetime) -> Opportunity:
    """Reaching opportunity creates the deal, sourced by the referral and naming its referrer."""
    open_deal = (
        Opportunity.objects.filter(account_id=referral.target_account_id)
        .exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])
        .order_by("created_on")
        .first()
    )
    if open_deal is not None:  # the account was already in our pipeline: link it, credit stays influenced
        if not open_deal.referring_contact_id:
            Opportunity.objects.filter(pk=open_deal.pk).update(
                referring_contact_id=referral.referrer_contact_id, referring_account_id=referral.referrer_account_id
            )
        Referral.objects.filter(pk=referral.pk).update(attribution="influenced")
        return open_deal
    deal = Opportunity.objects.create(
        account_id=referral.target_account_id,
        name=f"{referral.target_account.name} (referred by {referral.referrer_account.name})",
        stage=OpportunityStage.QUALIFICATION,
        source=OpportunitySource.REFERRAL,
        source_detail="Referly referral",
        owner_id=referral.owner_id,
        created_on=now.date(),
        referring_contact_id=referral.referrer_contact_id,
        referring_account_id=referral.referrer_account_id,
    )
    OpportunityStageChange.objects.create(opportunity=deal, stage=deal.stage, changed_at=now)
    Referral.objects.filter(pk=referral.pk).update(attribution="sourced")
    return deal


def _close_opportunity(opportunity_id: int, stage: str, now: datetime) -> None:
    target = OpportunityStage.WON if stage == S.WON else OpportunityStage.LOST
    deal = Opportunity.objects.get(pk=opportunity_id)
    if deal.stage != target:
        Opportunity.objects.filter(pk=deal.pk).update(stage=target, closed_on=now.date())
        OpportunityStageChange.objects.create(opportunity=deal, stage=target, changed_at=now)


def teammate_by_email(email: str | None) -> Teammate | None:
    if not email:
        return None
    found = Teammate.objects.filter(email=email.strip().lower()).first()
    if found is None:
        raise InvalidInput(f"No teammate with the e-mail {email}")
    return found
