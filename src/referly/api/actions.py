"""Next best actions of the latest scoring run, and the ask script for one of them."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api.main import actor
from referly.api.schemas import READ, READ_ONE, Paged, ShortText, path_id
from referly.errors import NotFound
from referly.scoring.models import NextBestAction

router = Router(tags=["actions"])


class ActionOut(Schema):
    id: int
    rank: int
    score: float
    sponsor_id: int
    sponsor: str = Field(alias="sponsor.name")
    sponsor_account: str = Field(alias="sponsor_account.name")
    target_account_id: int
    target_account: str = Field(alias="target_account.name")
    target_contact_id: int
    target_contact: str = Field(alias="target_contact.name")
    owner_id: int
    owner: str = Field(alias="owner.name")
    channel: str
    explanation: str
    components: dict[str, Any]


class ActionFilters(Schema):
    owner: ShortText | None = Field(None, description="Only this teammate's actions (e-mail).")


def visible_actions(request: HttpRequest) -> QuerySet[NextBestAction]:
    """The latest run's actions the caller may see (members: their own; managers: their team's)."""
    from referly.scoring.store import latest_run, run_actions

    who = actor(request)
    who.require(Permission.READ)
    run = latest_run()
    return NextBestAction.objects.none() if run is None else who.in_view(run_actions(run))


@router.get("", response={200: list[ActionOut], **READ}, summary="List next best actions")
@paginate(Paged)
def list_actions(request: HttpRequest, filters: Query[ActionFilters]) -> QuerySet[NextBestAction]:
    found = visible_actions(request)
    if filters.owner:
        found = found.filter(owner__email=filters.owner.strip().lower())
    return found


@router.get("/{action_id}", response={200: ActionOut, **READ_ONE}, summary="One next best action")
def get_action(request: HttpRequest, action_id: int = path_id()) -> NextBestAction:
    return visible_action(request, action_id)


def visible_action(request: HttpRequest, action_id: int) -> NextBestAction:
    """One action of the latest run in the caller's view, or NotFound (as for one that does not exist)."""
    found = visible_actions(request).filter(pk=action_id).first()
    if found is None:
        raise NotFound(f"No next best action with id {action_id} in your view")
    return found
