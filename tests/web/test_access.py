"""Every page opens for the roles allowed and is refused to the others; nobody anonymous gets in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import Team
from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db

EVERYONE = ("admin", "manager", "member", "other", "viewer")
PAGES = {
    "web:today": EVERYONE,
    "web:board": EVERYONE,
    "web:sponsors": EVERYONE,
    "web:accounts": EVERYONE,
    "web:reports": EVERYONE,
    "web:reviews": EVERYONE,
    "web:import": ("admin", "manager"),
    "web:settings": ("admin",),
}


@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_for_the_roles_allowed_and_refuses_the_others(client: Client, team: Team, name: str) -> None:
    for who in EVERYONE:
        page = logged_in(Client(), getattr(team, who)).get(reverse(name))
        expected = 200 if who in PAGES[name] else 403
        assert page.status_code == expected, (name, who, page.status_code)
        if expected == 403:
            assert "Not permitted" in page.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client: Client, name: str) -> None:
    page = client.get(reverse(name))
    assert page.status_code == 302 and page["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize(
    ("name", "args", "allowed"),
    [
        ("web:freeze", [], ("admin", "manager")),
        ("web:import_commit", [], ("admin", "manager")),
        ("web:change_role", [1], ("admin",)),
        ("web:revoke_token", [1], ("admin",)),
    ],
)
def test_writes_are_refused_to_roles_without_the_permission(
    team: Team, name: str, args: list[int], allowed: tuple[str, ...]
) -> None:
    for who in EVERYONE:
        if who in allowed:
            continue
        refused = logged_in(Client(), getattr(team, who)).post(reverse(name, args=args), {})
        assert refused.status_code == 403, (name, who)


def test_the_nav_shows_import_and_settings_only_to_who_may_use_them(team: Team) -> None:
    admin = logged_in(Client(), team.admin).get(reverse("web:today")).content.decode()
    member = logged_in(Client(), team.member).get(reverse("web:today")).content.decode()
    settings, upload = f'href="{reverse("web:settings")}"', f'href="{reverse("web:import")}"'
    assert settings in admin and upload in admin
    assert settings not in member and upload not in member
    assert f'href="{reverse("web:two_factor")}"' in member  # everyone reaches their own two-factor sign-in
    assert 'aria-current="page"' in member
