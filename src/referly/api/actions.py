"""Next best actions of the latest scoring run, and the ask script for one of them."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.api.auth import actor
from referly.api.schemas import READ, READ_ONE, Paged, ShortText, path_id
from referly.kit.kept_counts import kept_count
from referly.scoring.models import NextBestAction
from referly.scoring.queries import actions_in_view, latest_run, visible_action

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


class RunPaged(Paged):
    """A page of the latest run's actions: their total is counted once per process until a new run."""

    def _items_count(self, queryset: QuerySet[NextBestAction]) -> int:
        run = latest_run()
        return 0 if run is None else kept_count(queryset, f"run-{run.pk}-{run.started_at.timestamp()}")


@router.get("", response={200: list[ActionOut], **READ}, summary="List next best actions")
@paginate(RunPaged)
def list_actions(request: HttpRequest, filters: Query[ActionFilters]) -> QuerySet[NextBestAction]:
    """The latest run's actions in your view (members: their own; managers: their team's)."""
    found = actions_in_view(actor(request))
    if filters.owner:
        found = found.filter(owner__email=filters.owner.strip().lower())
    return found


@router.get("/{action_id}", response={200: ActionOut, **READ_ONE}, summary="One next best action")
def get_action(request: HttpRequest, action_id: int = path_id()) -> NextBestAction:
    return visible_action(actor(request), action_id)
