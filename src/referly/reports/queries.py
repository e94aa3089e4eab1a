"""What a report reads from the system of record, as plain records, as of the report's moment.

One loader, ``load_records``, runs a handful of ORM queries (SQLite and PostgreSQL alike) and returns frozen
records; every metric is then a pure function of those records. Nothing recorded at or after the as-of moment
is read: a referral's stage is the last move it made before then, and a deal closed later was still open.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from referly.referrals.models import ReferralStage
from referly.reports.exchange_rates import base_currency, rate_book
from referly.reports.scope import Scope

S = ReferralStage
LADDER: tuple[str, ...] = (S.IDENTIFIED, S.REQUESTED, S.INTRODUCED, S.MEETING, S.OPPORTUNITY, S.WON)
"""The stages a referral climbs, in order. ``lost`` and the exits leave the ladder."""
EXITS: tuple[str, ...] = (S.DECLINED, S.NO_RESPONSE, S.WITHDRAWN, S.LOST)
OPEN_STAGES: tuple[str, ...] = (S.IDENTIFIED, S.REQUESTED, S.INTRODUCED, S.MEETING, S.OPPORTUNITY)


def person_name(first: str, last: str, email: str | None, pk: int) -> str:
    return f"{first} {last}".strip() or (email or f"contact {pk}")


@dataclass(frozen=True)
class ReferralRecord:
    """One referral as it stood at the as-of moment, with the moves it had made by then."""

    id: int
    owner: str
    owner_id: int
    referrer: str
    referrer_id: int
    referrer_account: str
    referrer_account_id: int
    target_account: str
    target_contact: str | None
    channel: str
    script_key: str
    attribution: str
    opportunity_id: int | None
    created_at: datetime
    moves: tuple[tuple[str, datetime], ...]
    """``(stage entered, when)``, oldest first."""

    @property
    def stage(self) -> str:
        return self.moves[-1][0] if self.moves else S.IDENTIFIED

    @property
    def last_move(self) -> datetime:
        return self.moves[-1][1] if self.moves else self.created_at

    def entered(self, stage: str) -> datetime | None:
        """When the referral first entered ``stage``; None if it never did."""
        return next((at for s, at in self.moves if s == stage), None)

    @property
    def highest_rung(self) -> int:
        """Index in ``LADDER`` of the furthest ladder stage reached (0 = identified)."""
        reached = [LADDER.index(s) for s, _ in self.moves if s in LADDER]
        return max(reached, default=0)


@dataclass(frozen=True)
class DealRecord:
    """One opportunity as it stood at the as-of moment."""

    id: int
    name: str
    account: str
    source: str
    amount: float | None
    """The amount in the report's base currency; None when not recorded or when no exchange rate converts it."""
    recorded_amount: float | None
    currency: str
    """The currency the amount was recorded in."""
    outcome: str | None
    """``won`` or ``lost`` if it closed before the as-of moment; None while it was open."""
    created_on: date
    closed_on: date | None
    referring_contact_id: int | None
    referring_contact: str | None
    referring_account_id: int | None
    referring_account: str | None

    @property
    def is_open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True)
class Conversion:
    """How deal amounts came to the base currency: converted, and left out for want of a rate, by currency."""

    base: str
    converted: dict[str, int]
    missing: dict[str, int]
    lookback_days: int

    def as_dict(self) -> dict[str, object]:
        return {
            "base": self.base,
            "converted": dict(self.converted),
            "missing": dict(self.missing),
            "lookback_days": self.lookback_days,
        }


@dataclass(frozen=True)
class AskRecord:
    asked_at: datetime
    kind: str
    outcome: str


@dataclass(frozen=True)
class NpsAnswer:
    contact_id: int
    account_id: int
    answered_on: date
    score: int


@dataclass(frozen=True)
class Records:
    """Everything the metrics read, for one scope."""

    scope: Scope
    referrals: tuple[ReferralRecord, ...]
    deals: tuple[DealRecord, ...]
    asks: tuple[AskRecord, ...]
    nps: tuple[NpsAnswer, ...]
    currency: str
    """The report's base currency (REFERLY_BASE_CURRENCY): every amount is in it."""
    conversion: Conversion
    deals_without_date: int

    @property
    def referrer_ids(self) -> frozenset[int]:
        return frozenset(r.referrer_id for r in self.referrals)


def load_records(scope: Scope) -> Records:
    """Read referrals, deals, asks and NPS answers recorded before ``scope.as_of``."""
    deals, conversion, undated = _deals(scope)
    return Records(scope, _referrals(scope), deals, _asks(scope), _nps(scope), conversion.base, conversion, undated)


def _referrals(scope: Scope) -> tuple[ReferralRecord, ...]:
    from referly.referrals.models import Referral, ReferralTransition

    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for referral_id, stage, at in (
        ReferralTransition.objects.filter(at__lt=scope.as_of, referral__created_at__lt=scope.as_of)
        .order_by("referral_id", "at", "id")
        .values_list("referral_id", "to_stage", "at")
    ):
        moves[referral_id].append((stage, at))
    rows = (
        Referral.objects.filter(created_at__lt=scope.as_of)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "owner__name",
            "owner_id",
            "referrer_contact__first_name",
            "referrer_contact__last_name",
            "referrer_contact__email",
            "referrer_contact_id",
            "referrer_account__name",
            "referrer_account_id",
            "target_account__name",
            "target_contact__first_name",
            "target_contact__last_name",
            "target_contact__email",
            "target_contact_id",
            "channel",
            "script_key",
            "attribution",
            "opportunity_id",
            "created_at",
        )
    )
    found = []
    for row in rows:
        (pk, owner, owner_id, r_first, r_last, r_email, r_id, r_account, r_account_id, t_account) = row[:10]
        t_first, t_last, t_email, t_id, channel, script, attribution, opportunity_id, created_at = row[10:]
        target = person_name(t_first or "", t_last or "", t_email, t_id) if t_id is not None else None
        found.append(
            ReferralRecord(
                id=pk,
                owner=owner,
                owner_id=owner_id,
                referrer=person_name(r_first, r_last, r_email, r_id),
                referrer_id=r_id,
                referrer_account=r_account,
                referrer_account_id=r_account_id,
                target_account=t_account,
                target_contact=target,
                channel=channel,
                script_key=script,
                attribution=attribution,
                opportunity_id=opportunity_id,
                created_at=created_at,
                moves=tuple(moves.get(pk, ())),
            )
        )
    return tuple(found)


def _deals(scope: Scope) -> tuple[tuple[DealRecord, ...], Conversion, int]:
    """Deals created before the end of the month, amounts converted to the base currency at the rate of their
    close date (their creation date while open)."""
    from referly.crm.models import Opportunity

    end = scope.end_day
    base = base_currency()
    recorded = set(
        Opportunity.objects.filter(created_on__lt=end, amount__isnull=False).values_list("currency", flat=True)
    )
    book = rate_book(recorded | {base}, end)
    converted: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    found: list[DealRecord] = []
    rows = (
        Opportunity.objects.filter(created_on__lt=end)
        .order_by("created_on", "id")
        .values_list(
            "id",
            "name",
            "account__name",
            "source",
            "amount",
            "currency",
            "stage",
            "created_on",
            "closed_on",
            "referring_contact_id",
            "referring_contact__first_name",
            "referring_contact__last_name",
            "referring_contact__email",
            "referring_account_id",
            "referring_account__name",
        )
    )
    for row in rows:
        pk, name, account, source, amount, currency, stage, created_on, closed_on = row[:9]
        c_id, c_first, c_last, c_email, a_id, a_name = row[9:]
        assert created_on is not None  # the filter on created_on leaves NULL out
        closed = stage in ("won", "lost") and (closed_on is None or closed_on < end)
        value = None
        if amount is not None:
            on = closed_on if closed and closed_on is not None else created_on
            value = book.convert(float(amount), currency, on, base)
            if currency != base:
                (converted if value is not None else missing)[currency] += 1
        found.append(
            DealRecord(
                id=pk,
                name=name,
                account=account or "(no account)",
                source=source,
                amount=value,
                recorded_amount=None if amount is None else float(amount),
                currency=currency,
                outcome=stage if closed else None,
                created_on=created_on,
                closed_on=closed_on if closed else None,
                referring_contact_id=c_id,
                referring_contact=person_name(c_first or "", c_last or "", c_email, c_id) if c_id else None,
                referring_account_id=a_id,
                referring_account=a_name,
            )
        )
    undated = Opportunity.objects.filter(created_on__isnull=True).count()
    conversion = Conversion(base, dict(sorted(converted.items())), dict(sorted(missing.items())), book.lookback)
    return tuple(found), conversion, undated


def _asks(scope: Scope) -> tuple[AskRecord, ...]:
    from referly.referrals.models import Ask

    rows = Ask.objects.filter(asked_at__gte=scope.window_start, asked_at__lt=scope.as_of).values_list(
        "asked_at", "kind", "outcome"
    )
    return tuple(AskRecord(at, kind, outcome) for at, kind, outcome in rows.order_by("asked_at", "id"))


def _nps(scope: Scope) -> tuple[NpsAnswer, ...]:
    from referly.crm.models import Signal, SignalKind

    rows = (
        Signal.objects.filter(
            kind=SignalKind.NPS,
            contact__isnull=False,
            nps_score__isnull=False,
            occurred_on__gte=scope.first_month,
            occurred_on__lt=scope.end_day,
        )
        .order_by("occurred_on", "id")
        .values_list("contact_id", "account_id", "occurred_on", "nps_score")
    )
    return tuple(NpsAnswer(c, a, on, score) for c, a, on, score in rows if c is not None and score is not None)


def next_actions(limit: int) -> list[dict[str, object]]:
    """The top next best actions of the latest scoring run (none before any run), as plain data."""
    from referly.scoring.queries import latest_run, run_actions

    run = latest_run()
    if run is None:
        return []
    found: list[dict[str, object]] = []
    for action in run_actions(run)[:limit]:
        sponsor, target = action.sponsor, action.target_contact
        found.append(
            {
                "id": action.pk,
                "rank": action.rank,
                "sponsor": person_name(sponsor.first_name, sponsor.last_name, sponsor.email, sponsor.pk),
                "sponsor_account": action.sponsor_account.name,
                "target_account": action.target_account.name,
                "target_contact": person_name(target.first_name, target.last_name, target.email, target.pk),
                "owner": action.owner.name,
                "channel": action.channel,
                "score": action.score,
                "explanation": action.explanation,
                "run_as_of": run.as_of.isoformat(),
            }
        )
    return found
