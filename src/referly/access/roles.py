"""Roles and what each may do: a pure rule, shared by the dashboard and the API.

- admin: everything, including settings and users.
- manager: reads the shared records (accounts, contacts, signals, reports); sees and acts on their own
  and their team's actions and referrals (everyone who reports to them, directly or not); imports data
  and freezes monthly reviews.
- member: reads the shared records (accounts, contacts, reports); sees and acts on their own actions
  and referrals only.
- viewer: reads everything, writes nothing.

An API token narrows its user's role to its scope: a read token never writes, whatever the role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    VIEWER = "viewer"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


class Permission(StrEnum):
    READ = "read"  # shared records, reports, actions and referrals in view
    ACT = "act"  # log asks, create and advance referrals in view
    IMPORT = "import"  # push or import CRM data
    REVIEW = "review"  # freeze a monthly review
    ADMINISTER = "administer"  # settings, users


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset({Permission.READ, Permission.ACT, Permission.IMPORT, Permission.REVIEW}),
    Role.MEMBER: frozenset({Permission.READ, Permission.ACT}),
    Role.VIEWER: frozenset({Permission.READ}),
}

# Whether a role sees every teammate's actions and referrals, or only those of the people it answers for.
SEES_EVERYONE: frozenset[Role] = frozenset({Role.ADMIN, Role.VIEWER})


def allows(role: Role, permission: Permission, scope: Scope = Scope.WRITE) -> bool:
    """May ``role`` (acting through a token of ``scope``, or a session: WRITE) do ``permission``?"""
    if scope is Scope.READ and permission is not Permission.READ:
        return False
    return permission in GRANTS[role]
