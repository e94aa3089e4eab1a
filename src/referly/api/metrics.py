"""The channel's figures: a month's frozen review, or the same pack computed now; every figure keeps its label."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from referly.access.roles import Permission
from referly.api.main import actor
from referly.api.schemas import READ, READ_ONE, ShortText
from referly.errors import InvalidInput

router = Router(tags=["metrics"])


class MetricsQuery(Schema):
    month: ShortText | None = Field(None, description="YYYY-MM; default: the last month that is over.")
    metric: ShortText | None = Field(None, description="Only this metric (its slug).")


class ReviewOut(Schema):
    month: str
    frozen: bool
    frozen_at: datetime | None
    decisions: list[str]
    origin: str = Field(..., description="Where the figures come from: a frozen review, or computed now.")
    staleness: str
    review_due: bool


class MetricsOut(Schema):
    review: ReviewOut
    as_of: str
    time_zone: str
    currency: str
    window: dict[str, Any]
    metrics: dict[str, Any] = Field(
        ..., description="By slug: each metric's rows and cells, every figure with its evidence label."
    )
    scenarios: Any = Field(None, description="Scenarios, labelled as such, with their assumptions.")
    notes: list[str]


class MetricsList(Schema):
    slugs: list[str]


def _scope(month: str | None, now: datetime) -> Any:
    from referly.reports.scope import Scope, add_months, parse_month

    zone = timezone.get_current_timezone()
    try:
        chosen: date = parse_month(month) if month else add_months(now.astimezone(zone).date().replace(day=1), -1)
    except ValueError:  # a month number that is no date, e.g. year 0
        chosen = date.min
    if not 1900 <= chosen.year <= 9000:
        raise InvalidInput(f"month: {month!r} is not a month Referly can report on (YYYY-MM, from 1900)")
    return Scope(chosen, zone)


@router.get("", response={200: MetricsOut, **READ_ONE}, summary="The referral review's figures for a month")
def get_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """From the month's frozen review if there is one, else computed now (``review.frozen`` says which)."""
    from referly.reports.metrics import metric
    from referly.reports.pack import Context
    from referly.reports.review import check_month_over, latest_review, load_pack, staleness
    from referly.reports.scope import configured_goal

    actor(request).require(Permission.READ)
    now = timezone.now()
    scope = _scope(query.month, now)
    if query.metric:
        metric(query.metric)  # NotFound names the known slugs
    check_month_over(scope, now)
    pack = load_pack(scope, configured_goal())
    due = staleness(latest_review(), now)
    context = Context(pack, due.text, now, due.due)
    content = pack.content
    metrics = content["metrics"]
    return {
        "review": {
            "month": content["month"],
            "frozen": pack.frozen,
            "frozen_at": pack.frozen_at,
            "decisions": pack.decisions,
            "origin": context.origin(),
            "staleness": due.text,
            "review_due": due.due,
        },
        "as_of": content["as_of"],
        "time_zone": content["time_zone"],
        "currency": content["currency"],
        "window": content["window"],
        "metrics": {query.metric: metrics.get(query.metric)} if query.metric else metrics,
        "scenarios": content.get("scenarios"),
        "notes": content.get("notes", []),
    }


@router.get("/slugs", response={200: MetricsList, **READ}, summary="The metrics Referly reports")
def list_metrics(request: HttpRequest) -> MetricsList:
    from referly.reports.metrics import REGISTRY

    actor(request).require(Permission.READ)
    return MetricsList(slugs=[m.slug for m in REGISTRY])
