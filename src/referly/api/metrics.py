"""The channel's figures: a month's frozen review, or the same pack computed now; every figure keeps its label."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from referly.access.roles import Permission
from referly.api.auth import actor
from referly.api.schemas import READ, READ_ONE, ShortText

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


@router.get("", response={200: MetricsOut, **READ_ONE}, summary="The referral review's figures for a month")
def get_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """From the month's frozen review if there is one, else computed now (``review.frozen`` says which)."""
    from referly.reports.metrics import metric
    from referly.reports.review import month_scope, pack_context

    actor(request).require(Permission.READ)
    now = timezone.now()
    scope = month_scope(query.month, now)
    if query.metric:
        metric(query.metric)  # NotFound names the known slugs
    context = pack_context(scope, now)
    pack = context.pack
    content = pack.content
    metrics = content["metrics"]
    return {
        "review": {
            "month": content["month"],
            "frozen": pack.frozen,
            "frozen_at": pack.frozen_at,
            "decisions": pack.decisions,
            "origin": context.origin(),
            "staleness": context.staleness,
            "review_due": context.review_due,
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
