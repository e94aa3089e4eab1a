"""Which Referly role a person's groups give: a pure rule over the mapping and the claim's value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from referly.access.roles import Role
from referly.errors import Unavailable

RANK: tuple[Role, ...] = (Role.VIEWER, Role.MEMBER, Role.MANAGER, Role.ADMIN)
"""Lowest first: a person in several mapped groups gets the highest of their roles."""


def parse_mapping(text: str, setting: str = "REFERLY_OIDC_ROLES") -> dict[str, Role]:
    """``group=role`` pairs separated by commas, e.g. ``referly-admins=admin, sales=member``.

    A group name may itself hold ``=`` (the last one separates the role); blanks around names are dropped."""
    mapping: dict[str, Role] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        group, equals, role = item.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not equals or not group:
            raise Unavailable(f"{setting}: {item.strip()!r} is not group=role")
        if role not in Role.__members__.values():
            raise Unavailable(f"{setting}: the role {role!r} of {group!r} is not one of {', '.join(RANK[::-1])}")
        mapping[group] = Role(role)
    return mapping


def parse_role(text: str, setting: str = "REFERLY_OIDC_DEFAULT_ROLE") -> Role | None:
    """A role name, or None when ``text`` is empty (people in no mapped group are refused)."""
    role = text.strip().lower()
    if not role:
        return None
    if role not in Role.__members__.values():
        raise Unavailable(f"{setting}: {role!r} is not one of {', '.join(RANK[::-1])}, nor empty")
    return Role(role)


def claim_value(claims: Mapping[str, object], name: str) -> object:
    """The claim ``name``, or the value at its dotted path (``realm_access.roles``) when no claim has that name."""
    if name in claims:
        return claims[name]
    found: object = claims
    for part in name.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return found


def groups_in(value: object) -> list[str]:
    """The group names a claim holds: a list of names, or one name; anything else holds none."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list | tuple):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def role_for(groups: Iterable[str], mapping: Mapping[str, Role], default: Role | None) -> Role | None:
    """The highest role any of ``groups`` is mapped to; ``default`` when none is mapped (None: refused)."""
    mapped = {mapping[group] for group in groups if group in mapping}
    if not mapped:
        return default
    return max(mapped, key=RANK.index)
