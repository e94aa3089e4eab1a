"""Signals: dated business facts about accounts and contacts; a CRM or CS tool pushes many at once."""

from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api import idempotency
from referly.api.auth import actor
from referly.api.bulk import push_once
from referly.api.schemas import MAX_ID, READ, WRITE, Paged, ShortText, Text, Written
from referly.crm.models import Signal, SignalKind

router = Router(tags=["signals"])
MAX_ROWS = 5_000


class SignalOut(Schema):
    id: int
    account_id: int
    contact_id: int | None
    kind: str
    occurred_on: date
    nps_score: int | None
    value: float | None
    unit: str
    metric: str
    detail: str
    resolved_on: date | None
    source_system: str
    external_id: str | None


class SignalFilters(Schema):
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    contact_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: SignalKind | None = None
    since: date | None = Field(None, description="Occurred on or after this day.")
    until: date | None = Field(None, description="Occurred on or before this day.")


class SignalRow(Schema):
    external_id: ShortText | None = Field(None, description="The signal's id in the source system.")
    account: ShortText = Field(..., description="The account: its external id, domain or name.")
    contact: ShortText | None = Field(None, description="The contact, if any: external id, e-mail or name.")
    kind: ShortText = Field(..., description=", ".join(SignalKind.values))
    occurred_on: ShortText = Field(..., description="YYYY-MM-DD")
    nps_score: int | None = Field(None, description="0-10, NPS answers only.")
    value: float | None = Field(None, description="The measured figure, e.g. 38.")
    unit: ShortText | None = None
    metric: ShortText | None = None
    detail: Text | None = None
    resolved_on: ShortText | None = Field(None, description="YYYY-MM-DD: when an escalation or risk was closed.")


class SignalBatch(Schema):
    source_system: ShortText = Field("", description="The tool pushing the rows, e.g. hubspot; scopes external ids.")
    rows: list[SignalRow] = Field(..., min_length=1, max_length=MAX_ROWS)


@router.get("", response={200: list[SignalOut], **READ}, summary="List signals")
@paginate(Paged)
def list_signals(request: HttpRequest, filters: Query[SignalFilters]) -> QuerySet[Signal]:
    actor(request).require(Permission.READ)
    found = Signal.objects.all()
    for name in ("account_id", "contact_id", "kind"):
        value = getattr(filters, name)
        if value:
            found = found.filter(**{name: value})
    if filters.since:
        found = found.filter(occurred_on__gte=filters.since)
    if filters.until:
        found = found.filter(occurred_on__lte=filters.until)
    return found.order_by("-occurred_on", "-id")


@router.post("", response={200: Written, **WRITE}, summary="Create or update many signals at once")
def push_signals(
    request: HttpRequest, batch: SignalBatch, idempotency_key: str | None = idempotency.Key
) -> HttpResponse:
    """Every row is checked first: one refused row and nothing is written (the answer lists each refused
    row's index, field and reason). Rows matching a stored signal (same external id, or same account,
    contact, kind and day) update it."""
    return push_once(request, "signals", batch, idempotency_key)
