"""Accounts: the shared company records, filtered, with their ICP fit from the latest scoring run."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api.auth import actor
from referly.api.schemas import MAX_ID, READ, READ_ONE, Paged, ShortText, path_id
from referly.crm import queries
from referly.crm.models import Account, Lifecycle
from referly.scoring.queries import account_fit, latest_run

router = Router(tags=["accounts"])


class AccountOut(Schema):
    id: int
    name: str
    domain: str | None
    industry: str
    employees: int | None
    annual_revenue: float | None
    country: str
    lifecycle: str
    client_since: date | None
    churned_on: date | None
    owner_id: int | None
    source_system: str
    external_id: str | None


class Fit(Schema):
    run_id: int
    as_of: str = Field(..., description="The scoring run's as-of time (ISO 8601).")
    fit: float = Field(..., description="0-100")
    tier: str
    criteria: Any = Field(..., description="Each criterion, met or missed, with the account's value.")


class AccountDetail(AccountOut):
    fit: Fit | None = Field(None, description="The ICP fit of the latest scoring run; null before any run.")


class AccountFilters(Schema):
    lifecycle: Lifecycle | None = None
    industry: ShortText | None = Field(None, description="Exact industry, any case.")
    country: ShortText | None = None
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: ShortText | None = Field(None, description="Part of the name or domain.")


@router.get("", response={200: list[AccountOut], **READ}, summary="List accounts")
@paginate(Paged)
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]) -> QuerySet[Account]:
    actor(request).require(Permission.READ)
    return queries.search_accounts(
        filters.q or "",
        lifecycle=filters.lifecycle,
        industry=filters.industry,
        country=filters.country,
        owner_id=filters.owner_id,
    )


@router.get("/{account_id}", response={200: AccountDetail, **READ_ONE}, summary="One account with its ICP fit")
def get_account(request: HttpRequest, account_id: int = path_id()) -> dict[str, Any]:
    actor(request).require(Permission.READ)
    found: dict[str, Any] = AccountOut.from_orm(queries.account(account_id)).model_dump()
    run = latest_run()
    fit = account_fit(run, account_id)
    found["fit"] = (
        None
        if fit is None or run is None  # (run is never None when fit is not: this narrows it)
        else {
            "run_id": run.pk,
            "as_of": run.as_of.isoformat(),
            "fit": fit.fit,
            "tier": fit.tier,
            "criteria": fit.criteria,
        }
    )
    return found
