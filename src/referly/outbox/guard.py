"""Whether an ask may leave now: the gates checked again at send time, not only when the action was drafted.

``refusals`` is pure: the loader in ``services`` fetches the facts, this says which of them forbid the send.
The caps and cool-down are the ledger's (``referrals.ledger.record_ask``), checked in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Facts:
    """What is known about the person asked, at send time."""

    address: str
    erased: bool = False
    forgotten: bool = False
    do_not_contact: bool = False
    opted_out: bool = False
    last_nps: int | None = None
    open_escalation_since: date | None = None
    churn_risk_since: date | None = None
    bounced_on: date | None = None
    bounce_reason: str = ""


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


def refusals(facts: Facts, detractor_max_score: int) -> list[Refusal]:
    """Every reason the ask must not be sent, in the order a person would want to read them."""
    found: list[Refusal] = []
    if facts.erased or facts.forgotten:
        found.append(Refusal("forgotten", "their data was erased at their request (forget)"))
    if not facts.address:
        found.append(Refusal("no_address", "no e-mail address is on record"))
    if facts.do_not_contact:
        found.append(Refusal("do_not_contact", "marked do-not-contact"))
    if facts.opted_out:
        found.append(Refusal("opted_out", "opted out of asks"))
    if facts.last_nps is not None and facts.last_nps <= detractor_max_score:
        found.append(Refusal("detractor", f"detractor: their last NPS answer is {facts.last_nps}"))
    if facts.open_escalation_since is not None:
        found.append(
            Refusal("escalation", f"a support escalation is open at their account since {facts.open_escalation_since}")
        )
    if facts.churn_risk_since is not None:
        found.append(Refusal("churn_risk", f"their account is a churn risk since {facts.churn_risk_since}"))
    if facts.bounced_on is not None:
        why = f" ({facts.bounce_reason})" if facts.bounce_reason else ""
        found.append(Refusal("invalid_address", f"{facts.address} bounced on {facts.bounced_on}{why}"))
    return found
