"""Opportunities: the deals, with their source and the referral that brought them, if any."""

from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api.auth import actor
from referly.api.schemas import MAX_ID, READ, READ_ONE, Paged, path_id
from referly.crm.models import Opportunity, OpportunitySource, OpportunityStage
from referly.errors import NotFound

router = Router(tags=["opportunities"])


class OpportunityOut(Schema):
    id: int
    account_id: int | None
    name: str
    amount: float | None
    currency: str
    stage: str
    source: str
    source_detail: str
    product: str
    owner_id: int | None
    created_on: date | None
    closed_on: date | None
    expected_close_on: date | None
    referring_contact_id: int | None
    referring_account_id: int | None
    source_system: str
    external_id: str | None


class OpportunityFilters(Schema):
    stage: OpportunityStage | None = None
    source: OpportunitySource | None = None
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)


def readable(request: HttpRequest) -> QuerySet[Opportunity]:
    actor(request).require(Permission.READ)
    return Opportunity.objects.all()


@router.get("", response={200: list[OpportunityOut], **READ}, summary="List opportunities")
@paginate(Paged)
def list_opportunities(request: HttpRequest, filters: Query[OpportunityFilters]) -> QuerySet[Opportunity]:
    found = readable(request)
    for name in ("stage", "source", "account_id", "owner_id"):
        value = getattr(filters, name)
        if value:
            found = found.filter(**{name: value})
    return found.order_by("-created_on", "-id")


@router.get("/{opportunity_id}", response={200: OpportunityOut, **READ_ONE}, summary="One opportunity")
def get_opportunity(request: HttpRequest, opportunity_id: int = path_id()) -> Opportunity:
    found = readable(request).filter(pk=opportunity_id).first()
    if found is None:
        raise NotFound(f"No opportunity with id {opportunity_id}")
    return found
