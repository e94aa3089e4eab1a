"""Who must sign in with a second factor: a pure rule of the REFERLY_REQUIRE_2FA setting and a login's role."""

from __future__ import annotations

from enum import StrEnum

from referly.access.roles import Role
from referly.errors import Unavailable


class Requirement(StrEnum):
    OFF = "off"
    ADMINS = "admins"
    EVERYONE = "everyone"


def requirement(text: str) -> Requirement:
    """The setting's value, or ``Unavailable`` naming the three accepted ones."""
    wanted = text.strip().lower()
    if wanted not in Requirement.__members__.values():
        raise Unavailable(f"REFERLY_REQUIRE_2FA must be off, admins or everyone, not {text!r}")
    return Requirement(wanted)


def must_enrol(required: Requirement, role: Role, *, local: bool, enrolled: bool) -> bool:
    """Must this login enrol an authenticator before anything else?

    Only local logins (with a password) are concerned: a single sign-on user's provider asks its own factor.
    """
    if enrolled or not local:
        return False
    return required is Requirement.EVERYONE or (required is Requirement.ADMINS and role is Role.ADMIN)
