"""What is new for a teammate, turned into notices (each told once): moments opening this week, new top
actions, referral stage changes and credits.

Replies, bounces, failed sends and follow-ups to approve are told by the outbox the moment they happen
(``notify`` with the key ``outbox:<message id>``); the digest carries them with the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from referly.crm.models import Teammate
from referly.notices.models import NoticeKind
from referly.notices.services import notify
from referly.notices.wording import moment_word, sentence, stage_word
from referly.referrals.models import Attribution, Referral, ReferralTransition
from referly.scoring.models import NextBestAction, ScoreRun

TOP_ACTIONS = 3  # the new top actions told per digest
WEEK = timedelta(days=7)
RECENT = timedelta(days=7)  # stage changes and credits older than this are not news on a first digest


def tell_news(
    teammate: Teammate, language: str, now: datetime, run: ScoreRun | None, moment_days: dict[str, int]
) -> int:
    """Create the notices of what is new for ``teammate``; the number of items looked at."""
    looked = 0
    if run is not None:
        looked += _from_run(teammate, language, now, run, moment_days)
    looked += _stage_changes(teammate, language, now) + _credits(teammate, language, now)
    return looked


def _from_run(teammate: Teammate, language: str, now: datetime, run: ScoreRun, moment_days: dict[str, int]) -> int:
    actions = list(
        NextBestAction.objects.filter(run=run, owner=teammate)
        .select_related("sponsor", "sponsor_account", "target_account", "target_contact")
        .order_by("rank")
    )
    moments_told: set[int] = set()
    for action in actions:
        parts = action.components or {}
        moment, days_left = parts.get("moment"), parts.get("moment_days_left")
        if not moment or days_left is None or action.sponsor_id in moments_told:
            continue
        opened_days_ago = moment_days.get(str(moment), 0) - int(days_left)
        if not 0 <= opened_days_ago < WEEK.days:
            continue
        moments_told.add(action.sponsor_id)
        opened = (run.as_of - timedelta(days=opened_days_ago)).date()
        text = sentence(
            language,
            "moment",
            sponsor=action.sponsor.name,
            account=action.sponsor_account.name,
            moment=moment_word(language, str(moment)),
            days=int(days_left),
        )
        key = f"moment:{action.sponsor_id}:{moment}:{opened.isoformat()}"
        notify(teammate, NoticeKind.MOMENT, text, f"/accounts/{action.sponsor_account_id}/", key, now)
    for action in actions[:TOP_ACTIONS]:
        text = sentence(
            language,
            "action",
            sponsor=action.sponsor.name,
            account=action.sponsor_account.name,
            target=f"{action.target_contact.name} ({action.target_account.name})",
        )
        key = f"action:{action.sponsor_id}:{action.target_account_id}"
        notify(teammate, NoticeKind.ACTION, text, f"/actions/{action.pk}/send", key, now)
    return len(actions)


def _stage_changes(teammate: Teammate, language: str, now: datetime) -> int:
    """Changes someone else (or the clock) made to the teammate's referrals: their own are not news."""
    found = list(
        ReferralTransition.objects.filter(referral__owner=teammate, at__gte=now - RECENT, at__lte=now)
        .exclude(from_stage="")
        .filter(Q(actor__isnull=True) | ~Q(actor=teammate))
        .select_related("referral__target_account")
    )
    for t in found:
        text = sentence(
            language,
            "stage",
            id=t.referral_id,
            target=t.referral.target_account.name,
            before=stage_word(language, t.from_stage),
            after=stage_word(language, t.to_stage),
        )
        notify(teammate, NoticeKind.STAGE, text, f"/referrals/{t.referral_id}/", f"transition:{t.pk}", t.at)
    return len(found)


def _credits(teammate: Teammate, language: str, now: datetime) -> int:
    found = list(
        Referral.objects.filter(
            owner=teammate,
            attribution__in=(Attribution.SOURCED, Attribution.INFLUENCED),
            stage_changed_at__gte=now - RECENT,
        ).select_related("target_account")
    )
    for r in found:
        text = sentence(
            language, "credit", id=r.pk, target=r.target_account.name, attribution=stage_word(language, r.attribution)
        )
        notify(teammate, NoticeKind.CREDIT, text, f"/referrals/{r.pk}/", f"credit:{r.pk}:{r.attribution}", now)
    return len(found)
