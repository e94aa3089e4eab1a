"""Logins with roles for the dashboard and API tests: a small team with a manager, two members, a viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from referly.access.services import create_user, issue_token
from referly.crm.models import Teammate

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Login:
    user: User
    teammate: Teammate
    role: str

    @property
    def email(self) -> str:
        return self.user.email

    def token(self, scope: str = "write") -> str:
        """A fresh personal API token of this login, with ``scope``."""
        return issue_token(self.user, f"test {scope}", scope, timezone.now())[1]


@dataclass
class Team:
    admin: Login
    manager: Login  # Maya manages Mo
    member: Login  # Mo, in Maya's team
    other: Login  # Olga, a member in nobody's team
    viewer: Login

    def all(self) -> list[Login]:
        return [self.admin, self.manager, self.member, self.other, self.viewer]


def make_login(email: str, role: str, *, name: str = "", manager: Teammate | None = None) -> Login:
    user, _ = create_user(email, role, password=PASSWORD, name=name)
    teammate = Teammate.objects.get(user=user)
    if manager is not None:
        Teammate.objects.filter(pk=teammate.pk).update(manager=manager)
        teammate.refresh_from_db()
    return Login(user, teammate, role)


def make_team(**_: Any) -> Team:
    admin = make_login("ada.admin@northbeam.example", "admin", name="Ada Admin")
    manager = make_login("maya.manager@northbeam.example", "manager", name="Maya Manager")
    member = make_login("mo.member@northbeam.example", "member", name="Mo Member", manager=manager.teammate)
    other = make_login("olga.other@northbeam.example", "member", name="Olga Other")
    viewer = make_login("vic.viewer@northbeam.example", "viewer", name="Vic Viewer")
    return Team(admin, manager, member, other, viewer)
