"""Django's admin is served only at REFERLY_ADMIN_PATH, and its login is locked out like the dashboard's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from referly.urls import site_patterns
from tests.personas import PASSWORD

SECRET_PATH = "manage-7Hk2/"
urlpatterns = site_patterns(SECRET_PATH)  # this module is the URL configuration of the tests that name it
with_admin = override_settings(ROOT_URLCONF=__name__)


def admin_login(client: Client, email: str, password: str) -> Any:
    return client.post(f"/{SECRET_PATH}login/", {"username": email, "password": password, "next": f"/{SECRET_PATH}"})


def test_by_default_there_is_no_admin_at_all(db: None) -> None:
    assert settings.ADMIN_PATH == ""
    for path in ("/admin/", "/admin/login/", f"/{SECRET_PATH}login/"):
        assert Client().get(path).status_code == 404, path


@with_admin
def test_the_admin_answers_at_its_path_only(team: Any) -> None:
    assert Client().get("/admin/login/").status_code == 404
    assert Client().get(f"/{SECRET_PATH}").status_code == 302
    assert admin_login(Client(), team.admin.email, PASSWORD).status_code == 302
    refused = admin_login(Client(), team.member.email, PASSWORD)  # not an admin: the form says no
    assert refused.status_code == 200 and b"staff account" in refused.content


@with_admin
def test_five_wrong_passwords_lock_the_admin_login_even_with_the_right_one(team: Any) -> None:
    browser = Client()
    for _ in range(5):
        assert admin_login(browser, team.admin.email, "wrong").status_code in (200, 429)
    locked = admin_login(browser, team.admin.email, PASSWORD)
    assert locked.status_code == 429
    assert b"locked" in locked.content


@with_admin
def test_failures_on_the_dashboard_login_lock_the_admin_login_too(team: Any) -> None:
    browser = Client()
    for _ in range(5):
        browser.post("/login/", {"username": team.admin.email, "password": "wrong"})
    assert admin_login(browser, team.admin.email, PASSWORD).status_code == 429


@pytest.mark.parametrize("value", ["manage-7Hk2", "/manage-7Hk2/"])
def test_the_environment_variable_places_it(value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERLY_")}
    env |= {"REFERLY_ADMIN_PATH": value, "DJANGO_SETTINGS_MODULE": "referly.settings"}
    script = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "print(resolve('/manage-7Hk2/login/').view_name)\n"
        "try:\n    resolve('/admin/login/')\nexcept Resolver404:\n    print('no /admin/')\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    )
    assert shown.stdout.split() == ["admin:login", "no", "/admin/"]
