"""Reads of referrals, scoped to the person who asks: every edge loads referrals through these.

``who`` is the acting person (their role decides whose referrals they see); ``None`` reads every
referral, as the CLI and the workers do. A referral outside one's view is "not found", exactly like
one that does not exist, so ids tell nothing about other people's records.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from referly.access.roles import Permission
from referly.access.services import Actor
from referly.crm import normalise
from referly.errors import NotFound
from referly.referrals.lifecycle import CLOSED
from referly.referrals.models import Referral

PEOPLE = ("referrer_contact", "referrer_account", "target_account", "target_contact", "owner")
"""What every view of a referral shows: its people, their accounts and its owner."""


def in_view(who: Actor | None) -> QuerySet[Referral]:
    """The referrals ``who`` may see, loaded with their people."""
    found = Referral.objects.select_related(*PEOPLE)
    if who is None:
        return found
    who.require(Permission.READ)
    return who.in_view(found)


def visible(who: Actor | None, referral_id: int) -> Referral:
    """One referral in ``who``'s view, with its people and its opportunity, or ``NotFound``."""
    found = in_view(who).select_related("opportunity").filter(pk=referral_id).first()
    if found is None:
        where = "" if who is None else " in your view"
        raise NotFound(f"No referral with id {referral_id}{where}", code="referral_not_found")
    return found


def filtered(
    found: QuerySet[Referral],
    *,
    stage: str | None = None,
    owner: str | None = None,
    referrer: str | None = None,
    target_account_id: int | None = None,
) -> QuerySet[Referral]:
    """``found`` narrowed by stage, owner's or referrer's e-mail and target account, newest first."""
    if stage:
        found = found.filter(stage=stage)
    if owner:
        found = found.filter(owner__email=normalise.email(owner))
    if referrer:
        found = found.filter(referrer_contact__email=normalise.email(referrer))
    if target_account_id:
        found = found.filter(target_account_id=target_account_id)
    return found.order_by("-created_at", "-id")


def open_at_account(who: Actor | None, account_id: int) -> QuerySet[Referral]:
    """Open referrals from or to an account, most recently moved first."""
    return (
        in_view(who)
        .filter(Q(target_account_id=account_id) | Q(referrer_account_id=account_id))
        .exclude(stage__in=CLOSED)
        .order_by("-stage_changed_at")
    )


def under_way(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Referral]:
    """Open referrals from these (sponsor, target account) pairs' sponsors to their targets: asked once, not twice."""
    if not pairs:
        return {}
    found = Referral.objects.filter(
        referrer_contact_id__in={sponsor for sponsor, _ in pairs},
        target_account_id__in={target for _, target in pairs},
    ).exclude(stage__in=CLOSED)
    return {(r.referrer_contact_id, r.target_account_id): r for r in found.order_by("created_at")}
