"""What a person sees on the pages: whose actions and referrals, in which scope.

Admins and viewers see everyone's actions and referrals; a manager sees their own and their team's, a
member their own (a referral outside one's view is "not found": see ``referrals.queries``). Acting is
``Actor.acts_for``: a manager acts on their team's records, an admin on all.
"""

from __future__ import annotations

from collections.abc import Mapping

from referly.access.roles import Role
from referly.access.services import Actor


def reads_everything(who: Actor) -> bool:
    return who.team is None


def scopes(who: Actor) -> list[str]:
    """The scopes a person may switch between, the default first."""
    if who.role is Role.VIEWER:
        return ["everyone"]
    if who.role is Role.MEMBER:
        return ["mine"]
    if who.role is Role.MANAGER:
        return ["team", "mine"]
    return ["mine", "everyone"] if who.teammate_id is not None else ["everyone"]


def chosen_scope(who: Actor, params: Mapping[str, str]) -> str:
    allowed = scopes(who)
    wanted = params.get("scope", "")
    return wanted if wanted in allowed else allowed[0]


def owners_in(who: Actor, scope: str) -> frozenset[int] | None:
    """Teammate ids whose records the scope shows; None for everyone's."""
    if scope == "everyone" and reads_everything(who):
        return None
    if scope == "team" and who.role is Role.MANAGER:
        return who.team
    return frozenset({who.teammate_id}) if who.teammate_id is not None else frozenset()
