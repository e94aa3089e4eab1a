"""What a referral's scripts are filled with, and the thank-you drafted when a referral moves on."""

from __future__ import annotations

from typing import Any

from referly.errors import InvalidInput, NotPermitted
from referly.outreach.context import people, reachable
from referly.outreach.scripts import read_script_key, render
from referly.referrals.models import Referral


def script_context(referral: Referral, stage: str | None = None) -> dict[str, Any]:
    """The script context of a referral loaded with its people (``referrals.queries.visible``)."""
    reachable(referral.referrer_contact, referral.target_contact)
    moment, _ = read_script_key(referral.script_key)
    return people(
        referral.referrer_contact,
        referral.referrer_account,
        referral.target_contact,
        referral.target_account,
        referral.owner,
        moment=moment,
        tie_kind=None,
        stage=stage or referral.stage,
    )


def thank_you(referral: Referral, stage: str) -> str:
    """The close-the-loop note for the referrer, in the language of the referral's script."""
    _, lang = read_script_key(referral.script_key)
    try:
        return render("thank-you", lang, script_context(referral, stage)).text()
    except NotPermitted:  # the referrer must not be contacted: no draft at all
        return ""
    except InvalidInput as exc:  # a broken custom template must not block the referral itself
        return f"(No thank-you draft: {exc})"
