"""The monthly referral review: the month's pack computed from the records, frozen with the decisions taken.

``build_pack`` computes every registered metric, the success stories, the stale referrals, the goal trajectory
and the scenarios for one month, as JSON with every figure's evidence label. ``freeze`` stores that pack in a
``Review`` (the edge owns the transaction). A review is stale once the latest one is more than 30 days old.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from referly.errors import Conflict, InvalidInput
from referly.reports.charts import chart_data
from referly.reports.deals import pipeline_share
from referly.reports.evidence import MINIMUM_SAMPLE, Scenario
from referly.reports.funnel import stale_items
from referly.reports.metrics import compute_all
from referly.reports.queries import Records, load_records, next_actions
from referly.reports.referrers import success_stories
from referly.reports.scenarios import measured_inputs, plan
from referly.reports.scope import Goal, Scope, add_months, configured_goal, months_between, parse_month
from referly.reports.summary import ACTIONS, executive_summary
from referly.reports.tables import estimate

FORMAT = "referly-review/1"
STALE_AFTER = timedelta(days=30)
"""A review older than this is stale: the monthly review is due."""


def trajectory(records: Records, goal: Goal, start: date) -> dict[str, object]:
    """Where the referral share stands against a straight path from its baseline to the goal.

    ``start`` is the month the goal was set (the first review). The baseline is the trailing-window share as of
    that month; the path runs straight from it to ``goal.share`` at ``start + goal.months``. The path is a
    scenario (it is a plan, not a record); the baseline and the current share are measured.
    """
    scope = records.scope
    start = min(start, scope.month)
    deadline = add_months(start, goal.months)
    base_scope = Scope(start, scope.zone, scope.window_months)
    base = pipeline_share(records.deals, base_scope.window_period, MINIMUM_SAMPLE)
    now = pipeline_share(records.deals, scope.window_period, MINIMUM_SAMPLE)
    baseline = estimate(
        base.value, base.n, base_scope.window_period, scope.as_of, MINIMUM_SAMPLE, base.interval, "share"
    )
    current = estimate(now.value, now.n, scope.window_period, scope.as_of, MINIMUM_SAMPLE, now.interval, "share")
    found: dict[str, object] = {
        "goal_share": goal.share,
        "goal_months": goal.months,
        "start": f"{start:%Y-%m}",
        "deadline": f"{deadline:%Y-%m}",
        "baseline": baseline.as_dict(),
        "current": current.as_dict(),
        "path": None,
        "path_by_month": {},
    }
    if base.n < MINIMUM_SAMPLE:
        return found

    def on_path(month: date) -> float:
        elapsed = min(max(months_between(start, month), 0), goal.months)
        return base.value + (goal.share - base.value) * elapsed / goal.months

    assumptions = (
        f"the goal: {goal.share:.0%} of new pipeline from referrals by {deadline:%Y-%m}",
        f"a straight path from the baseline {base.value:.1%} (the 12 months to {start:%Y-%m}) to the goal",
    )
    found["path"] = Scenario(on_path(scope.month), assumptions, "share").as_dict()
    found["path_by_month"] = {f"{m:%Y-%m}": on_path(m) for m in scope.months if m >= start}
    return found


def build_pack(scope: Scope, goal: Goal, goal_start: date | None) -> dict[str, Any]:
    """The review pack of ``scope.month``, computed from the records as of the end of the month."""
    records = load_records(scope)
    inputs = measured_inputs(records, goal.share, MINIMUM_SAMPLE)
    notes = []
    if records.deals_without_date:
        notes.append(f"{records.deals_without_date} opportunities without a creation date are left out.")
    pack: dict[str, Any] = {
        "format": FORMAT,
        "month": scope.label(),
        "as_of": scope.as_of.isoformat(),
        "time_zone": str(scope.zone),
        "window": {"months": scope.window_months, "period": scope.window_period.as_dict()},
        "currency": records.currency,
        "fx": records.conversion.as_dict(),
        "summary": executive_summary(records, next_actions(ACTIONS)),
        "metrics": compute_all(records),
        "stories": success_stories(records),
        "stale": stale_items(records),
        "trajectory": trajectory(records, goal, goal_start or scope.month),
        "scenarios": plan(inputs).as_dict(),
        "notes": notes,
    }
    pack["charts"] = chart_data(pack)
    return pack


# --- Freezing ----------------------------------------------------------------------------------------------


def check_month_over(scope: Scope, now: datetime) -> None:
    if not scope.is_over(now):
        raise InvalidInput(
            f"{scope.label()} is not over yet: it can be reviewed from {scope.as_of:%Y-%m-%d %H:%M} {scope.zone}"
        )


def first_review_month() -> date | None:
    from referly.reports.models import Review

    return Review.objects.order_by("month").values_list("month", flat=True).first()


def freeze(
    scope: Scope, goal: Goal, decisions: list[str], *, now: datetime, replace: bool = False, by: Any = None
) -> Any:
    """Store the month's pack and decisions as its ``Review`` (frozen ``by`` a teammate, if known); refuses a
    month not over or already frozen."""
    from django.db import IntegrityError, transaction

    from referly.reports.models import Review

    check_month_over(scope, now)
    existing = Review.objects.select_for_update().filter(month=scope.month).first()
    if existing is not None and not replace:
        raise Conflict(
            f"The review of {scope.label()} was frozen on {existing.created_at:%Y-%m-%d}: "
            "give --replace to freeze it again with today's records"
        )
    start = first_review_month()
    if existing is not None and start == scope.month:
        start = None  # replacing the first review: the goal starts from it again
    pack = build_pack(scope, goal, start)
    if existing is not None:
        existing.figures, existing.decisions, existing.created_at, existing.created_by = pack, decisions, now, by
        existing.save(update_fields=["figures", "decisions", "created_at", "created_by"])
        return existing
    try:
        with transaction.atomic():
            return Review.objects.create(
                month=scope.month, created_at=now, created_by=by, figures=pack, decisions=decisions
            )
    except IntegrityError:  # another freeze of the same month committed first
        raise Conflict(
            f"The review of {scope.label()} was frozen meanwhile: give --replace to freeze it again"
        ) from None


# --- Staleness ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staleness:
    text: str
    due: bool


def staleness(latest: tuple[date, datetime] | None, now: datetime, on_web: bool = False) -> Staleness:
    """Whether the monthly review is due, from the latest review's month and when it was frozen.

    The sentence names the way to freeze one where it is read: the Monthly reviews page on the web,
    ``referly review`` in a terminal.
    """
    fix = _("freeze one on the Monthly reviews page") if on_web else _("run referly review --month YYYY-MM")
    if latest is None:
        return Staleness(_("No monthly review has been frozen yet: %(fix)s.") % {"fix": fix}, True)
    month, created = latest
    days = (now - created).days
    values = {"month": f"{month:%Y-%m}", "frozen": f"{created:%Y-%m-%d}", "days": days, "fix": fix}
    if now - created > STALE_AFTER:
        return Staleness(
            _(
                "The last review (%(month)s, frozen %(frozen)s) is %(days)s days old: "
                "the monthly review is due (%(fix)s)."
            )
            % values,
            True,
        )
    return Staleness(
        ngettext(
            "Last review: %(month)s, frozen %(frozen)s (%(days)s day ago).",
            "Last review: %(month)s, frozen %(frozen)s (%(days)s days ago).",
            days,
        )
        % values,
        False,
    )


def latest_review() -> tuple[date, datetime] | None:
    from referly.reports.models import Review

    return Review.objects.order_by("-month", "-created_at").values_list("month", "created_at").first()


@dataclass(frozen=True)
class Pack:
    """A month's pack for the report: from its frozen review if there is one, else computed now."""

    content: dict[str, Any]
    frozen_at: datetime | None
    decisions: list[str]

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


@dataclass(frozen=True)
class Context:
    """What every renderer shows about the pack itself: where it comes from and whether a review is due."""

    pack: Pack
    staleness: str
    generated_at: datetime
    review_due: bool = False
    lang: str = "en"
    """The language numbers are written in: en (1,234,567) or fr (1 234 567)."""
    on_web: bool = False
    """Read on a web page: what to do next is said as a page to use, not a command to run."""

    @property
    def content(self) -> Mapping[str, Any]:
        return self.pack.content

    @property
    def zone(self) -> str:
        return str(self.content["time_zone"])

    @property
    def currency(self) -> str:
        return str(self.content["currency"])

    def origin(self) -> str:
        month = self.content["month"]
        if self.pack.frozen_at is not None:
            return _("From the review of %(month)s frozen on %(at)s UTC.") % {
                "month": month,
                "at": f"{self.pack.frozen_at:%Y-%m-%d %H:%M}",
            }
        how = (
            _("the Monthly reviews page freezes one")
            if self.on_web
            else _("referly review --month %(month)s freezes one") % {"month": month}
        )
        return _("Computed live on %(at)s UTC: no review of %(month)s is frozen (%(how)s).") % {
            "at": f"{self.generated_at:%Y-%m-%d %H:%M}",
            "month": month,
            "how": how,
        }

    def metrics_in(self, section: str) -> list[Mapping[str, Any]]:
        return [m for m in self.content["metrics"].values() if m["section"] == section]


def load_pack(scope: Scope, goal: Goal) -> Pack:
    from referly.reports.models import Review

    review = Review.objects.filter(month=scope.month).first()
    if review is not None and review.figures.get("format") == FORMAT:
        return Pack(dict(review.figures), review.created_at, [str(d) for d in review.decisions])
    return Pack(build_pack(scope, goal, first_review_month()), None, [])


def last_month_over(now: datetime) -> date:
    """The first day of the last month that is over, in the configured time zone."""
    from django.utils import timezone

    return add_months(now.astimezone(timezone.get_current_timezone()).date().replace(day=1), -1)


def month_scope(month: str | None, now: datetime) -> Scope:
    """The Scope of a YYYY-MM month, by default the last month that is over."""
    from django.utils import timezone

    return Scope(parse_month(month) if month else last_month_over(now), timezone.get_current_timezone())


def pack_context(scope: Scope, now: datetime, lang: str = "en", on_web: bool = False) -> Context:
    """The month's pack as the report renderers take it: frozen if reviewed, else computed now."""
    check_month_over(scope, now)
    due = staleness(latest_review(), now, on_web)
    return Context(load_pack(scope, configured_goal()), due.text, now, due.due, lang[:2], on_web)
