"""The login page offers the provider; with REFERLY_PASSWORD_LOGIN=0 it offers only the provider, and a
password posted anyway is refused before it is checked."""

from __future__ import annotations

import pytest
from django.test import Client

from referly.access.services import create_user
from referly.audit.models import AuditEvent
from tests.sso.identity_provider import OpenIdProvider


@pytest.mark.django_db
def test_the_login_page_offers_the_provider_beside_the_password(sign_on: OpenIdProvider) -> None:
    page = Client().get("/login/?next=/referrals/").content.decode()
    assert "Sign in with Northbeam ID" in page
    assert 'href="/sso/start/?next=/referrals/"' in page
    assert 'name="password"' in page


@pytest.mark.django_db
def test_without_single_sign_on_the_login_page_is_the_password_form_alone() -> None:
    page = Client().get("/login/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page


@pytest.mark.django_db
def test_with_passwords_off_only_the_provider_is_offered_and_a_posted_password_is_refused(
    sign_on: OpenIdProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user("pat@northbeam.example", "admin", password="a-long-enough-password")
    monkeypatch.setenv("REFERLY_PASSWORD_LOGIN", "0")
    client = Client()
    page = client.get("/login/").content.decode()
    assert "Sign in with Northbeam ID" in page
    assert 'name="password"' not in page
    assert "Passwords are switched off here: sign in with Northbeam ID." in page
    refused = client.post("/login/", {"username": "pat@northbeam.example", "password": "a-long-enough-password"})
    assert refused.status_code == 403
    assert 'data-code="passwords_off"' in refused.content.decode()
    assert client.get("/").status_code == 302  # not logged in
    event = AuditEvent.objects.get(kind="login.failed", detail__reason="passwords_off")
    assert event.actor_label == "pat@northbeam.example"


@pytest.mark.django_db
def test_with_passwords_off_and_no_provider_the_page_says_whom_to_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_PASSWORD_LOGIN", "0")
    page = Client().get("/login/").content.decode()
    assert 'name="password"' not in page
    assert "no single sign-on is set up: ask your administrator" in page
