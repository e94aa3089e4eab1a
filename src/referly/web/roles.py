"""Changing a login's role from the Settings page.

This belongs with ``referly.access.services`` (next to ``create_user``); it lives here until it moves there.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from referly.access.models import Member
from referly.access.roles import Role
from referly.errors import Conflict, InvalidInput, NotFound


def change_role(user_id: int, role: str) -> User:
    """Give ``user_id`` the ``role``; refuses to leave the installation without an active admin."""
    if role not in Role.__members__.values():
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(r.value for r in Role)}")
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(f"No user with id {user_id}")
    admins = User.objects.filter(is_active=True, is_superuser=True).exclude(pk=user.pk)
    if role != Role.ADMIN and user.is_superuser and not admins.exists():
        raise Conflict(f"{user.username} is the only admin: make someone else admin first")
    admin = role == Role.ADMIN
    User.objects.filter(pk=user.pk).update(is_superuser=admin, is_staff=admin)
    Member.objects.update_or_create(user=user, defaults={"role": role})
    user.refresh_from_db()
    return user
