"""What a script is filled with: the people of a next best action (a referral's are in ``referrals.drafts``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from referly import config
from referly.crm.models import Account, Contact, Employment, Signal, Teammate
from referly.errors import NotPermitted
from referly.scoring.queries import visible_action


def for_action(action_id: int) -> dict[str, Any]:
    """The context of a next best action of any run: sponsor, target, path, moment and the sponsor's result."""
    return for_loaded_action(visible_action(None, action_id, latest=False))


def for_loaded_action(action: Any) -> dict[str, Any]:
    """The script context of a next best action already loaded with its people (``scoring.queries``)."""
    reachable(action.sponsor, action.target_contact)
    parts = action.components
    return people(
        action.sponsor,
        action.sponsor_account,
        action.target_contact,
        action.target_account,
        action.owner,
        moment=parts.get("moment"),
        tie_kind=parts.get("tie_kind"),
    )


def reachable(sponsor: Contact, target: Contact | None) -> None:
    """No script for anyone marked do-not-contact, erased, or (the sponsor) opted out of asks."""
    for person in (sponsor, target):
        if person is not None and (person.do_not_contact or person.erased_at is not None):
            raise NotPermitted(f"{person.name} is marked do-not-contact: no script")
    if sponsor.opted_out_of_asks:
        raise NotPermitted(f"{sponsor.name} opted out of asks: no script")


def people(
    sponsor: Contact,
    sponsor_account: Account,
    target: Contact | None,
    target_account: Account,
    owner: Teammate,
    *,
    moment: str | None,
    tie_kind: str | None,
    stage: str | None = None,
) -> dict[str, Any]:
    target_name = target.name if target is not None else f"the right person at {target_account.name}"
    return {
        "sponsor_name": sponsor.name,
        "sponsor_first_name": sponsor.first_name or sponsor.name,
        "sponsor_account": sponsor_account.name,
        "target_name": target_name,
        "target_first_name": (target.first_name if target is not None else "") or target_name,
        "target_title": target.title if target is not None else "",
        "target_account": target_account.name,
        "target_industry": target_account.industry,
        "same_industry": bool(target_account.industry) and target_account.industry == sponsor_account.industry,
        "owner_name": owner.name,
        "our_company": our_company(owner),
        "moment": moment or "",
        "tie_kind": tie_kind or "",
        "shared_employer": shared_employer(sponsor, target) if tie_kind == "former_colleagues" else "",
        "result": measured_result(sponsor_account, sponsor),
        "stage": stage or "",
    }


def our_company(owner: Teammate) -> str:
    named = config.COMPANY_NAME.value().strip()
    if named or not owner.email:
        return named
    return owner.email.rsplit("@", 1)[-1].split(".")[0].replace("-", " ").title()


def shared_employer(sponsor: Contact, target: Contact | None) -> str:
    if target is None:
        return ""
    theirs = set(Employment.objects.filter(contact=target).values_list("company_key", flat=True))
    mine = Employment.objects.filter(contact=sponsor, company_key__in=theirs).order_by("-started_on").first()
    return mine.company_name if mine is not None else ""


def measured_result(account: Account, contact: Contact) -> str:
    """The latest measured success on record for the sponsor or their account, as a phrase; "" if none."""
    signal = (
        Signal.objects.filter(Q(contact__isnull=True) | Q(contact=contact), account=account, kind="measured_success")
        .order_by("-occurred_on", "-id")
        .first()
    )
    if signal is None:
        return ""
    if signal.detail:
        text = signal.detail.strip().rstrip(".")
        return text[:1].lower() + text[1:] if text[1:2].islower() else text
    if signal.metric and signal.value is not None:
        return f"{signal.metric}: {signal.value.normalize():f} {signal.unit}".strip()
    return ""
