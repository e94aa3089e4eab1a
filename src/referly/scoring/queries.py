"""Reads of scoring results, scoped to the person who asks: runs, next best actions, fits and ties.

``who`` is the acting person (members see their own actions, managers their team's); ``None`` reads
everything, as the CLI and the workers do. An action outside one's view is "not found".
"""

from __future__ import annotations

from django.db.models import QuerySet

from referly.access.roles import Permission
from referly.access.services import Actor
from referly.errors import NotFound
from referly.scoring.models import AccountFit, NextBestAction, RelationshipStrength, ScoreRun

ACTION_PEOPLE = ("sponsor", "sponsor_account", "target_account", "target_contact", "owner")
"""What every view of a next best action shows: its sponsor, target, their accounts and its owner."""


def latest_run() -> ScoreRun | None:
    return ScoreRun.objects.order_by("-started_at", "-id").first()


def run_actions(run: ScoreRun) -> QuerySet[NextBestAction]:
    """A run's next best actions by rank, loaded with the people and accounts every view of them shows."""
    return NextBestAction.objects.filter(run=run).select_related(*ACTION_PEOPLE).order_by("rank")


def actions_in_view(who: Actor | None, owners: frozenset[int] | None = None) -> QuerySet[NextBestAction]:
    """The latest run's actions ``who`` may see (none before any run), narrowed to ``owners`` when given."""
    if who is not None:
        who.require(Permission.READ)
    run = latest_run()
    if run is None:
        return NextBestAction.objects.none()
    found = run_actions(run)
    if owners is not None:
        found = found.filter(owner_id__in=owners)
    return found if who is None else who.in_view(found)


def visible_action(who: Actor | None, action_id: int, *, latest: bool = True) -> NextBestAction:
    """One action in ``who``'s view (of the latest run, or of any run when ``latest`` is False), or ``NotFound``."""
    if latest:
        found = actions_in_view(who).filter(pk=action_id).first()
    else:
        candidates = NextBestAction.objects.select_related(*ACTION_PEOPLE).filter(pk=action_id)
        found = (candidates if who is None else who.in_view(candidates)).first()
    if found is None:
        where = " (see `referly actions`)" if who is None else " in your view"
        raise NotFound(f"No next best action with id {action_id}{where}", code="action_not_found")
    return found


def account_fit(run: ScoreRun | None, account_id: int) -> AccountFit | None:
    """The account's ICP fit in ``run``; None before any run or for an account the run did not score."""
    return None if run is None else AccountFit.objects.filter(run=run, account_id=account_id).first()


def ties_at_account(run: ScoreRun | None, account_id: int, limit: int) -> list[RelationshipStrength]:
    """Who on our side knows whom at an account, strongest first."""
    if run is None:
        return []
    return list(
        RelationshipStrength.objects.filter(run=run, contact__account_id=account_id)
        .select_related("teammate", "contact")
        .order_by("-strength")[:limit]
    )
