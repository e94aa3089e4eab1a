"""Signing in with a real OpenID provider, end to end: Referly's start page, the provider's login form, the
callback that exchanges the code and checks the ID token, and every refusal as a page and an audit event."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from referly.access.services import create_user, role_of
from referly.audit.models import AuditEvent
from referly.crm.models import Teammate
from tests.factories import make_teammate
from tests.sso.conftest import CALLBACK
from tests.sso.identity_provider import OpenIdProvider, log_in_at_provider, running_provider


def back_from_provider(client: Client, login: str, *, next_page: str = "") -> str:
    """Start at Referly, log in at the provider; the callback URL the provider sends the browser back to."""
    started = client.get("/sso/start/" + (f"?next={next_page}" if next_page else ""))
    assert started.status_code == 302, started.content
    return log_in_at_provider(started["Location"], login)


def callback(client: Client, url: str) -> Any:
    assert url.startswith(CALLBACK), url
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def refusal(response: Any, code: str) -> str:
    """The refusal page's sentence, after checking it is the refusal ``code`` and nobody is logged in."""
    page = response.content.decode()
    assert response.status_code == 403, page
    assert f'data-code="{code}"' in page, page
    assert "Sign-in refused" in page and "Traceback" not in page
    return page


def logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def reasons() -> list[str]:
    return [e.detail.get("reason", "") for e in AuditEvent.objects.filter(kind="sso.refused").order_by("pk")]


@pytest.mark.django_db(transaction=True)
def test_a_verified_person_signs_in_as_the_teammate_with_that_email_and_the_role_of_their_groups(
    sign_on: OpenIdProvider,
) -> None:
    ann = make_teammate("Ann Lee", email="ann.lee@northbeam.example")
    client = Client()
    response = callback(client, back_from_provider(client, "ann.lee@northbeam.example", next_page="/referrals/"))
    assert response.status_code == 302 and response["Location"] == "/referrals/"
    today = client.get("/")
    assert today.status_code == 200
    assert "ann.lee@northbeam.example" in today.content.decode()
    user = User.objects.get(username="ann.lee@northbeam.example")
    assert role_of(user).value == "manager"  # in sales and sales-leads: the higher role
    assert not user.has_usable_password()  # the provider vouches for this login; no password to guess
    ann.refresh_from_db()
    assert ann.user_id == user.pk  # the teammate's actions and referrals are this login's "Mine"
    event = AuditEvent.objects.get(kind="sso.login")
    assert event.actor_id == user.pk and event.detail["role"] == "manager" and event.detail["created"] is True


@pytest.mark.django_db(transaction=True)
def test_the_role_follows_the_groups_at_every_sign_in_and_the_change_is_in_the_audit_trail(
    sign_on: OpenIdProvider,
) -> None:
    prepared, _password = create_user("bo.chen@northbeam.example", "viewer", name="Bo Chen")
    client = Client()
    assert callback(client, back_from_provider(client, "bo.chen@northbeam.example")).status_code == 302
    prepared.refresh_from_db()
    assert role_of(prepared).value == "member"  # the group sales maps to member; viewer was set before
    assert Teammate.objects.get(user=prepared).name == "Bo Chen"
    change = AuditEvent.objects.get(kind="role.changed")
    assert change.detail == {"from": "viewer", "to": "member", "by": "single sign-on"}
    assert prepared.has_usable_password()  # a login made with a password keeps it


@pytest.mark.django_db(transaction=True)
def test_a_callback_used_twice_is_refused_the_second_time(sign_on: OpenIdProvider) -> None:
    client = Client()
    url = back_from_provider(client, "ann.lee@northbeam.example")
    assert callback(client, url).status_code == 302
    client.post("/logout/")
    assert not logged_in(client)
    page = refusal(callback(client, url), "unknown_state")
    assert "already used" in page
    stranger = Client()  # the same answer replayed from another browser: it never started this sign-in
    refusal(callback(stranger, url), "unknown_state")
    assert not logged_in(client) and not logged_in(stranger)
    assert reasons() == ["unknown_state", "unknown_state"]


@pytest.mark.django_db(transaction=True)
def test_an_answer_without_its_state_is_refused(sign_on: OpenIdProvider) -> None:
    client = Client()
    url = back_from_provider(client, "ann.lee@northbeam.example")
    without_state = "&".join(p for p in urlsplit(url).query.split("&") if not p.startswith("state="))
    refusal(client.get(f"/sso/callback/?{without_state}"), "missing_state")
    assert not logged_in(client)
    assert reasons() == ["missing_state"]


@pytest.mark.django_db(transaction=True)
def test_an_unverified_email_is_refused_and_no_login_is_made(sign_on: OpenIdProvider) -> None:
    client = Client()
    page = refusal(callback(client, back_from_provider(client, "uma.unverified@northbeam.example")), "unverified_email")
    assert "has not verified the e-mail address uma.unverified@northbeam.example" in page
    assert not User.objects.filter(username="uma.unverified@northbeam.example").exists()
    assert not logged_in(client)
    event = AuditEvent.objects.get(kind="sso.refused")
    assert event.actor_label == "uma.unverified@northbeam.example" and event.detail["reason"] == "unverified_email"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("login", "code", "sentence"),
    [
        ("otto.other@northbeam.example", "wrong_audience", "issued for another application"),
        ("ivy.issuer@northbeam.example", "wrong_issuer", "another identity provider"),
        ("fay.forged@northbeam.example", "bad_signature", "signature does not match the identity provider"),
    ],
)
def test_an_id_token_for_another_audience_from_another_issuer_or_with_a_forged_signature_is_refused(
    sign_on: OpenIdProvider, login: str, code: str, sentence: str
) -> None:
    client = Client()
    page = refusal(callback(client, back_from_provider(client, login)), code)
    assert sentence in page
    assert not User.objects.filter(username=login).exists()
    assert reasons() == [code]


@pytest.mark.django_db(transaction=True)
def test_an_expired_id_token_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from referly.sso.discovery import forget_endpoints

    # The provider's clock is ten minutes behind ours: its one-minute tokens have expired when they arrive.
    with running_provider(tmp_path, [CALLBACK], clock_offset=-600, id_token_ttl=60) as late:
        for name, value in late.settings().items():
            monkeypatch.setenv(name, value)
        forget_endpoints()
        client = Client()
        page = refusal(callback(client, back_from_provider(client, "ann.lee@northbeam.example")), "expired")
        assert "has expired" in page
        forget_endpoints()
    assert not logged_in(client)
    assert reasons() == ["expired"]


@pytest.mark.django_db(transaction=True)
def test_a_person_in_no_mapped_group_is_refused_unless_a_default_role_is_set(
    sign_on: OpenIdProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    page = refusal(callback(client, back_from_provider(client, "nils.nogroup@northbeam.example")), "no_role")
    assert "is in no group that gives a Referly role" in page
    monkeypatch.setenv("REFERLY_OIDC_DEFAULT_ROLE", "viewer")
    assert callback(client, back_from_provider(client, "nils.nogroup@northbeam.example")).status_code == 302
    assert role_of(User.objects.get(username="nils.nogroup@northbeam.example")).value == "viewer"


@pytest.mark.django_db(transaction=True)
def test_a_switched_off_login_is_refused(sign_on: OpenIdProvider) -> None:
    client = Client()
    assert callback(client, back_from_provider(client, "bo.chen@northbeam.example")).status_code == 302
    User.objects.filter(username="bo.chen@northbeam.example").update(is_active=False)
    other = Client()
    refusal(callback(other, back_from_provider(other, "bo.chen@northbeam.example")), "inactive")


@pytest.mark.django_db(transaction=True)
def test_a_provider_that_does_not_answer_is_said_on_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from referly.sso.discovery import forget_endpoints
    from tests.sso.identity_provider import free_port

    monkeypatch.setenv("REFERLY_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("REFERLY_OIDC_CLIENT_ID", "referly")
    monkeypatch.setenv("REFERLY_OIDC_CLIENT_SECRET", "secret")
    forget_endpoints()
    response = Client().get("/sso/start/")
    assert response.status_code == 503
    assert "does not answer" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_answer_naming_another_issuer_is_refused(sign_on: OpenIdProvider) -> None:
    client = Client()
    url = back_from_provider(client, "ann.lee@northbeam.example")
    parts = urlsplit(url)
    forged = "&".join(p if not p.startswith("iss=") else "iss=https%3A%2F%2Fidp.evil" for p in parts.query.split("&"))
    refusal(client.get(f"{parts.path}?{forged}"), "wrong_issuer")
    assert not logged_in(client)


@pytest.mark.django_db(transaction=True)
def test_a_code_carried_into_another_sign_in_is_refused_by_the_provider(sign_on: OpenIdProvider) -> None:
    victim = Client()
    stolen = urlsplit(back_from_provider(victim, "ann.lee@northbeam.example"))
    code = next(p for p in stolen.query.split("&") if p.startswith("code="))
    attacker = Client()
    own_start = urlsplit(attacker.get("/sso/start/")["Location"])
    state = next(p for p in own_start.query.split("&") if p.startswith("state="))
    # The attacker's own state gets past Referly; the provider refuses the code: it was issued with the
    # victim's PKCE challenge, and the attacker's session holds another verifier.
    refusal(attacker.get(f"/sso/callback/?{code}&{state}"), "token_refused")
    assert not logged_in(attacker)
    assert not User.objects.filter(username="ann.lee@northbeam.example").exists()
