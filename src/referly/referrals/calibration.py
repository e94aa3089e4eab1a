"""Calibrated words: how often the team's past asks like this one led to an introduction.

"Asks like this" are past referral asks made through the same channel as the action proposes (a call when our tie
is close, LinkedIn for a declared or board tie, else e-mail): the channel carries the tie's kind and strength band.
Only decided asks count: an ask whose referral still waits at *identified* or *requested* is left out. An ask *led
to an introduction* when its referral ever reached introduced, meeting, opportunity or won. Below ``MIN_ASKS``
decided asks the words say so instead of a rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from referly.kit.stats import wilson_bounds
from referly.referrals.models import Ask, AskKind, ReferralStage, ReferralTransition

MIN_ASKS = 30
WAITING = (ReferralStage.IDENTIFIED, ReferralStage.REQUESTED)
INTRODUCED = (ReferralStage.INTRODUCED, ReferralStage.MEETING, ReferralStage.OPPORTUNITY, ReferralStage.WON)
Z95 = 1.959964


@dataclass(frozen=True)
class AskRate:
    """The decided past asks through one channel, and how many led to an introduction."""

    channel: str
    asks: int
    introduced: int
    first: date | None = None
    last: date | None = None

    @property
    def measured(self) -> bool:
        return self.asks >= MIN_ASKS

    @property
    def rate(self) -> float | None:
        return self.introduced / self.asks if self.measured else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_bounds(self.introduced, self.asks, Z95) if self.measured else None


def ask_rates(before: datetime) -> dict[str, AskRate]:
    """Per channel, the decided referral asks made before ``before`` and those that led to an introduction."""
    reached = ReferralTransition.objects.filter(referral_id=OuterRef("referral_id"), to_stage__in=INTRODUCED)
    rows = (
        Ask.objects.filter(kind=AskKind.REFERRAL, referral__isnull=False, asked_at__lt=before)
        .exclude(referral__stage__in=WAITING)
        .annotate(led=Exists(reached))
        .values_list("referral__channel", "led", "asked_at")
    )
    counts: dict[str, list[int]] = {}
    spans: dict[str, tuple[date, date]] = {}
    for channel, led, at in rows:
        n = counts.setdefault(channel, [0, 0])
        n[0] += 1
        n[1] += int(led)
        first, last = spans.get(channel, (at.date(), at.date()))
        spans[channel] = (min(first, at.date()), max(last, at.date()))
    return {c: AskRate(c, asks, introduced, *spans[c]) for c, (asks, introduced) in counts.items()}


def calibrated_words(rate: AskRate | None) -> str:
    """The sentence an action's explanation ends with: the measured rate, or why there is none."""
    if rate is None or not rate.measured:
        return _("Too few past asks like this to say how often they led to an introduction (n = %(n)s).") % {
            "n": rate.asks if rate is not None else 0
        }
    low, high = rate.interval or (0.0, 0.0)
    return _(
        "%(rate)s%% of asks like this led to an introduction (n = %(n)s asks from %(first)s to %(last)s, "
        "95%% interval %(low)s–%(high)s%%, measured)."
    ) % {
        "rate": round(100 * (rate.rate or 0.0)),
        "n": rate.asks,
        "first": rate.first,
        "last": rate.last,
        "low": round(100 * low),
        "high": round(100 * high),
    }
