"""What a sponsor's page shows: only facts the sponsor already knows, about their own ties and referrals.

Never another client's data, never a score, never a teammate's note: a target is a company's name and a
sentence built from the sponsor's own past employers or declared ties; a referral is its target company and
its stage in plain words, without an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from referly.crm.models import Connection, Contact, Employment, Teammate
from referly.kit.text import one_stop
from referly.outreach.context import measured_result, our_company
from referly.referrals.models import Referral
from referly.scoring.models import NextBestAction
from referly.scoring.queries import latest_run

MOST_TARGETS = 5


@dataclass(frozen=True)
class Target:
    account_id: int
    account_name: str
    contact_id: int | None
    reason: str  # a sentence in the page's language
    answered: str  # the sponsor's earlier answer, or ""


_WORDS = {
    "en": {
        "colleagues": "You worked with {person} at {company}{years}.",
        "colleagues_no_company": "You worked with {person}.",
        "declared": "You know {person}, at {target}.",
        "board_seat": "You sit on a board with {person}, at {target}.",
        "past_introduction": "You introduced us to {person} before.",
        "years": " ({start}–{end})",
        "now": "today",
    },
    "fr": {
        "colleagues": "Vous avez travaillé avec {person} chez {company}{years}.",
        "colleagues_no_company": "Vous avez travaillé avec {person}.",
        "declared": "Vous connaissez {person}, chez {target}.",
        "board_seat": "Vous siégez dans un conseil avec {person}, de {target}.",
        "past_introduction": "Vous nous avez déjà présenté {person}.",
        "years": " ({start}–{end})",
        "now": "aujourd’hui",
    },
}


def offered(sponsor: Contact) -> list[NextBestAction]:
    """The latest run's best action into each of up to five target accounts through ``sponsor``, best first."""
    run = latest_run()
    if run is None:
        return []
    found: dict[int, NextBestAction] = {}
    for action in (
        NextBestAction.objects.filter(run=run, sponsor=sponsor)
        .select_related("target_account", "target_contact")
        .order_by("rank")[:20]
    ):
        found.setdefault(action.target_account_id, action)
        if len(found) == MOST_TARGETS:
            break
    return list(found.values())


def targets(sponsor: Contact, language: str) -> list[Target]:
    """The page's targets: each offered account with why the sponsor may know someone there."""
    from referly.portal.models import PathAnswer

    answered = dict(PathAnswer.objects.filter(contact=sponsor).values_list("target_account_id", "answer"))
    return [
        Target(
            action.target_account_id,
            action.target_account.name,
            action.target_contact_id,
            reason(sponsor, action.target_contact, action.target_account.name, language),
            answered.get(action.target_account_id, ""),
        )
        for action in offered(sponsor)
    ]


def team_name(owner: Teammate | None) -> str:
    """Our company's name as a sponsor or a recommended person reads it."""
    return (our_company(owner) if owner is not None else "") or "our team"


def reason(sponsor: Contact, person: Contact | None, target: str, language: str) -> str:
    """Why the sponsor may know someone at ``target``, from their own ties only."""
    words = _WORDS.get(language, _WORDS["en"])
    if person is None or not person.name:
        return ""
    tie = (
        Connection.objects.filter(
            Q(from_contact=sponsor, to_contact=person) | Q(from_contact=person, to_contact=sponsor)
        )
        .order_by("-confidence")
        .values_list("kind", flat=True)
        .first()
    )
    if tie in ("declared", "board_seat", "past_introduction"):
        return one_stop(words[tie].format(person=person.name, target=target))
    theirs = {e.company_key: e for e in Employment.objects.filter(contact=person)}
    for mine in Employment.objects.filter(contact=sponsor, company_key__in=theirs).order_by("-started_on"):
        other = theirs[mine.company_key]
        starts = [d for d in (mine.started_on, other.started_on) if d]
        ends = [d for d in (mine.ended_on, other.ended_on) if d]
        years = ""
        if starts:
            end = str(min(ends).year) if ends else words["now"]  # the one who left first ended the overlap
            years = words["years"].format(start=max(starts).year, end=end)
        return one_stop(words["colleagues"].format(person=person.name, company=mine.company_name, years=years))
    return one_stop(words["colleagues_no_company"].format(person=person.name)) if tie else ""


def their_result(sponsor: Contact) -> str:
    return measured_result(sponsor.account, sponsor)


def their_referrals(sponsor: Contact) -> list[Referral]:
    return list(
        Referral.objects.filter(referrer_contact=sponsor).select_related("target_account").order_by("-created_at")[:20]
    )


def live_links(contact_ids: list[int], now: datetime) -> set[int]:
    """Which of these contacts have a sponsor link that still works (for the Sponsors page's buttons)."""
    from referly.portal.models import SponsorLink

    return set(
        SponsorLink.objects.filter(contact_id__in=contact_ids, revoked_at__isnull=True, expires_at__gt=now).values_list(
            "contact_id", flat=True
        )
    )
