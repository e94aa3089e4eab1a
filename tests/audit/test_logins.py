"""Logins, failures, lockouts and logouts reach the trail, done through the login page as a person would."""

from __future__ import annotations

from typing import Any

from django.test import Client

from referly.audit.models import AuditEvent
from tests.audit.conftest import events
from tests.personas import PASSWORD, make_login

ADA = "ada.admin@northbeam.example"


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7")


def test_a_wrong_password_names_the_user_name_tried_and_the_address(db: Any) -> None:
    make_login(ADA, "admin")
    answer = log_in(Client(), ADA.upper(), "not-the-password")
    assert answer.status_code == 200  # the form again, with its error
    [failed] = events("login.failed")
    assert failed.actor_label == ADA.upper() and failed.actor is None
    assert failed.mentions == ADA and failed.ip == "203.0.113.7"
    assert not events("login.succeeded")


def test_a_good_password_and_a_logout_are_recorded_with_the_login(db: Any) -> None:
    ada = make_login(ADA, "admin")
    client = Client()
    assert log_in(client, ADA, PASSWORD).status_code == 302
    [succeeded] = events("login.succeeded")
    assert succeeded.actor == ada.user and succeeded.actor_label == ADA and succeeded.ip == "203.0.113.7"
    assert client.post("/logout/").status_code == 302
    [out] = events("logout")
    assert out.actor == ada.user


def test_repeated_failures_lock_the_user_name_out_and_say_so(db: Any, settings: Any) -> None:
    make_login(ADA, "admin")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, ADA, "guess")
    locked = events("login.locked")
    assert locked and locked[0].actor_label == ADA and locked[0].mentions == ADA
    assert log_in(client, ADA, PASSWORD).status_code != 302, "locked out: even the right password waits"
    assert AuditEvent.objects.filter(kind="login.succeeded").count() == 0
