"""Interactions: touches between teammates and contacts; a CRM pushes many at once."""

from datetime import datetime
from enum import StrEnum

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api import idempotency
from referly.api.auth import actor
from referly.api.bulk import push_once
from referly.api.schemas import MAX_ID, READ, WRITE, Moment, Paged, ShortText, Written
from referly.crm.models import Interaction
from referly.ingest.kinds import INTERACTION_KINDS

router = Router(tags=["interactions"])
MAX_ROWS = 10_000
Kind = StrEnum("Kind", {name: name for name in INTERACTION_KINDS})  # type: ignore[misc]
KIND_NAMES = {value: name for name, value in INTERACTION_KINDS.items()}


class InteractionOut(Schema):
    id: int
    teammate_id: int
    contact_id: int
    kind: str
    occurred_at: datetime

    @staticmethod
    def resolve_kind(obj: Interaction) -> str:
        return KIND_NAMES[obj.kind]


class InteractionFilters(Schema):
    contact_id: int | None = Field(None, ge=1, le=MAX_ID)
    teammate_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Kind | None = None
    since: Moment | None = Field(None, description="At or after this time.")
    until: Moment | None = Field(None, description="At or before this time.")


class InteractionRow(Schema):
    teammate: ShortText = Field(..., description="The teammate: external id, e-mail or name.")
    contact: ShortText = Field(..., description="The contact: external id, e-mail or name.")
    kind: ShortText = Field(..., description=", ".join(INTERACTION_KINDS))
    occurred_at: ShortText = Field(..., description="ISO 8601 time; UTC when no offset is given.")


class InteractionBatch(Schema):
    source_system: ShortText = Field("", description="The tool pushing the rows; scopes external ids.")
    rows: list[InteractionRow] = Field(..., min_length=1, max_length=MAX_ROWS)


@router.get("", response={200: list[InteractionOut], **READ}, summary="List interactions")
@paginate(Paged)
def list_interactions(request: HttpRequest, filters: Query[InteractionFilters]) -> QuerySet[Interaction]:
    actor(request).require(Permission.READ)
    found = Interaction.objects.all()
    if filters.contact_id:
        found = found.filter(contact_id=filters.contact_id)
    if filters.teammate_id:
        found = found.filter(teammate_id=filters.teammate_id)
    if filters.kind:
        found = found.filter(kind=INTERACTION_KINDS[str(filters.kind)])
    if filters.since:
        found = found.filter(occurred_at__gte=filters.since)
    if filters.until:
        found = found.filter(occurred_at__lte=filters.until)
    return found.order_by("-occurred_at", "-id")


@router.post("", response={200: Written, **WRITE}, summary="Record many interactions at once")
def push_interactions(
    request: HttpRequest, batch: InteractionBatch, idempotency_key: str | None = idempotency.Key
) -> HttpResponse:
    """Every row is checked first: one refused row and nothing is written. A touch already recorded
    (same contact, teammate, kind and time) is counted as unchanged."""
    return push_once(request, "interactions", batch, idempotency_key)
