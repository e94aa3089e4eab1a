"""The API's OpenAPI document and its page are for logins, unless REFERLY_API_SCHEMA_PUBLIC=1 opens them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.api.conftest import API, World, bearer

DOCUMENT = f"{API}/openapi.json"
PAGE = f"{API}/docs"


def test_a_stranger_gets_neither_the_document_nor_the_page(db: None) -> None:
    document = Client().get(DOCUMENT)
    assert document.status_code == 401
    assert document.json()["error"] == "not_authenticated"
    assert "paths" not in document.json()
    page = Client().get(PAGE)
    assert page.status_code == 302
    assert page["Location"] == f"/login/?next={PAGE}"


def test_a_wrong_token_gets_nothing_either(db: None) -> None:
    assert Client().get(DOCUMENT, **bearer("rly_not-a-token")).status_code == 401


def test_a_token_reads_the_document(world: World) -> None:
    document = Client().get(DOCUMENT, **bearer(world.team.viewer.token("read")))
    assert document.status_code == 200
    assert "/api/v1/referrals" in document.json()["paths"]


def test_a_logged_in_teammate_reads_the_document_and_the_page(world: World) -> None:
    browser = Client()
    browser.force_login(world.team.member.user)
    assert browser.get(DOCUMENT).status_code == 200
    page = browser.get(PAGE)
    assert page.status_code == 200
    assert b"swagger" in page.content.lower()


@override_settings(API_SCHEMA_PUBLIC=True)
def test_the_setting_opens_both_to_anyone(db: None) -> None:
    assert Client().get(DOCUMENT).status_code == 200
    assert Client().get(PAGE).status_code == 200


@pytest.mark.parametrize(("value", "public"), [("1", True), ("0", False), ("", False)])
def test_the_environment_variable_sets_it(value: str, public: bool, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERLY_")}
    env |= {"REFERLY_API_SCHEMA_PUBLIC": value, "DJANGO_SETTINGS_MODULE": "referly.settings"}
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.API_SCHEMA_PUBLIC)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert shown.stdout.strip() == str(public)
