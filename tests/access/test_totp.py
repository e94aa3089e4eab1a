"""Two-factor sign-in as a user meets it: enrol with a code, log in in two steps, spend a recovery code once,
be stopped after wrong codes, and (when required) be sent to enrol before any other page.

Codes are computed here from the device's key, as the phone would (django_otp.oath.TOTP); nothing sleeps: the
wait django-otp imposes after a wrong code is moved into the past instead.
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import include, path
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from referly.access.enrolment import Requirement, must_enrol, requirement
from referly.access.roles import Role
from referly.audit.models import AuditEvent
from referly.errors import Unavailable
from tests.personas import PASSWORD, Login

PROVIDER = f"{__name__}.IdentityProvider"


class IdentityProvider(ModelBackend):
    """Stands for a single sign-on backend: a session it opens did not check a password here."""


ADMIN = "admin-for-this-test/"
urlpatterns = [path(ADMIN, admin.site.urls), path("", include("referly.urls"))]  # the site, with Django's admin


def next_code(device: TOTPDevice) -> str:
    """The code the phone shows now, or the next one when this one was already used (a code works once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def let_the_wait_pass(user: User) -> None:
    """What waiting out django-otp's pause after a wrong code does, without sleeping."""
    long_ago = timezone.now() - timedelta(hours=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=long_ago)


def enrol(client: Client, login: Login) -> list[str]:
    """Enrol ``login`` through the page, as they would; returns the recovery codes shown."""
    client.force_login(login.user)
    page = client.get("/settings/security/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=login.user, confirmed=False)
    shown = client.post("/settings/security/confirm", {"code": next_code(device)})
    assert shown.status_code == 200, shown.content
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())


def kinds(user: User) -> list[str]:
    return list(AuditEvent.objects.filter(actor=user).order_by("at", "id").values_list("kind", flat=True))


def test_the_page_shows_the_secret_the_link_and_a_qr_code_drawn_without_the_network(team: Any) -> None:
    client = Client()
    client.force_login(team.member.user)
    html = client.get("/settings/security/").content.decode()
    device = TOTPDevice.objects.get(user=team.member.user, confirmed=False)
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)</code>', html)
    assert secret is not None
    import base64

    assert base64.b32decode(secret.group(1).replace(" ", "")) == device.bin_key
    assert "otpauth://totp/Referly%3Amo.member%40northbeam.example?secret=" in html
    drawn = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "<image" not in drawn and "href" not in drawn  # drawn here, nothing fetched
    # seeing the page twice keeps one pending authenticator: the QR code scanned first still works
    client.get("/settings/security/")
    assert TOTPDevice.objects.filter(user=team.member.user).count() == 1


def test_a_wrong_code_does_not_turn_it_on_and_the_right_one_shows_ten_recovery_codes_once(team: Any) -> None:
    client = Client()
    client.force_login(team.member.user)
    client.get("/settings/security/")
    device = TOTPDevice.objects.get(user=team.member.user)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    refused = client.post("/settings/security/confirm", {"code": wrong})
    assert refused.status_code == 422
    assert b"not accepted" in refused.content
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    let_the_wait_pass(team.member.user)
    shown = client.post("/settings/security/confirm", {"code": next_code(device)})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    on = client.get("/settings/security/").content.decode()
    assert "10 recovery codes are left" in on and not any(c in on for c in codes)  # never shown again
    assert "otp.enabled" in kinds(team.member.user)


def test_login_asks_the_code_after_the_password_and_only_then_opens_the_app(team: Any) -> None:
    enrol(Client(), team.member)
    browser = Client()
    step = browser.post("/login/?next=/referrals/", {"username": team.member.email, "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/login/code"
    assert browser.get("/").status_code == 302  # half logged in: nothing opens yet
    asked = browser.get("/login/code")
    assert asked.status_code == 200 and b"authenticator" in asked.content
    device = TOTPDevice.objects.get(user=team.member.user)
    wrong = f"{(int(next_code(device)) + 1) % 1_000_000:06d}"
    refused = browser.post("/login/code", {"code": wrong})
    assert refused.status_code == 200 and b"4 tries left" in refused.content
    assert browser.get("/").status_code == 302
    let_the_wait_pass(team.member.user)
    before = set(AuditEvent.objects.filter(kind="login.succeeded").values_list("id", flat=True))
    done = browser.post("/login/code", {"code": next_code(device)})
    assert done.status_code == 302 and done["Location"] == "/referrals/"
    assert browser.get("/").status_code == 200
    assert AuditEvent.objects.filter(kind="otp.failed", actor=team.member.user).count() == 1
    assert AuditEvent.objects.filter(kind="login.succeeded").exclude(id__in=before).count() == 1


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(team: Any) -> None:
    codes = enrol(Client(), team.member)
    browser = Client()
    browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    done = browser.post("/login/code", {"code": codes[0].upper()[:4] + "-" + codes[0][4:]}, follow=True)
    assert done.status_code == 200
    assert "9 recovery codes are left" in done.content.decode()
    assert StaticToken.objects.filter(device__user=team.member.user).count() == 9
    assert "otp.recovery_used" in kinds(team.member.user)
    again = Client()
    again.post("/login/", {"username": team.member.email, "password": PASSWORD})
    refused = again.post("/login/code", {"code": codes[0]})
    assert b"not accepted" in refused.content
    assert again.get("/").status_code == 302


def test_wrong_codes_end_the_half_logged_in_session_and_count_toward_the_lockout(team: Any) -> None:
    enrol(Client(), team.member)
    device = TOTPDevice.objects.get(user=team.member.user)
    browser = Client()
    browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    answers = []
    for _ in range(5):
        let_the_wait_pass(team.member.user)
        wrong = f"{(int(next_code(device)) + 3) % 1_000_000:06d}"
        answers.append(browser.post("/login/code", {"code": wrong}))
    assert [a.status_code for a in answers[:4]] == [200, 200, 200, 200]
    assert answers[4].status_code == 429 and b"locked" in answers[4].content
    assert browser.get("/login/code").status_code == 302  # the half-logged-in session is over
    let_the_wait_pass(team.member.user)
    again = browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    assert again.status_code == 429  # the password alone is refused too, for the lockout's time
    assert AuditEvent.objects.filter(kind="otp.failed", actor=team.member.user).count() == 5


def test_a_quick_second_try_after_a_wrong_code_is_asked_to_wait_and_not_counted(team: Any) -> None:
    enrol(Client(), team.member)
    device = TOTPDevice.objects.get(user=team.member.user)
    browser = Client()
    browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    browser.post("/login/code", {"code": f"{(int(next_code(device)) + 1) % 1_000_000:06d}"})
    hurried = browser.post("/login/code", {"code": next_code(device)})
    assert b"wait" in hurried.content
    assert browser.get("/").status_code == 302
    let_the_wait_pass(team.member.user)
    assert browser.post("/login/code", {"code": next_code(device)}).status_code == 302
    assert browser.get("/").status_code == 200


def test_a_session_opened_without_the_second_step_is_closed(team: Any) -> None:
    enrol(Client(), team.member)
    elsewhere = Client()
    elsewhere.force_login(team.member.user)  # e.g. a session opened before the authenticator was enrolled
    answer = elsewhere.get("/referrals/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
    assert elsewhere.get("/api/v1/actions").status_code == 401


@override_settings(REQUIRE_2FA="admins")
def test_an_admin_without_an_authenticator_is_sent_to_enrol_before_any_other_page(team: Any) -> None:
    admin = Client()
    admin.force_login(team.admin.user)
    for wanted in ("/", "/settings/", "/referrals/"):
        sent = admin.get(wanted)
        assert sent.status_code == 302 and sent["Location"] == "/settings/security/", wanted
    page = admin.get("/settings/security/")
    assert page.status_code == 200 and b"must use two-factor sign-in" in page.content
    refused = admin.get("/api/v1/actions")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"
    token = team.admin.token("read")
    assert Client().get("/api/v1/actions", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    member = Client()
    member.force_login(team.member.user)
    assert member.get("/").status_code == 200  # admins only
    enrol(admin, team.admin)
    assert admin.get("/").status_code == 200
    assert admin.get("/api/v1/actions").status_code == 200


@override_settings(REQUIRE_2FA="everyone")
def test_single_sign_on_logins_are_never_asked_for_a_code(team: Any) -> None:
    User.objects.filter(pk=team.member.user.pk).update(password="!")  # no usable password: an SSO login
    client = Client()
    client.force_login(User.objects.get(pk=team.member.user.pk))
    assert client.get("/").status_code == 200
    page = client.get("/settings/security/")
    assert b"single sign-on" in page.content and b"<svg" not in page.content
    # a login with a password and an authenticator that signs in through the provider instead is not asked
    enrol(Client(), team.other)
    with override_settings(AUTHENTICATION_BACKENDS=[*settings.AUTHENTICATION_BACKENDS, PROVIDER]):
        provider = Client()
        provider.force_login(team.other.user, backend=PROVIDER)
        assert provider.get("/").status_code == 200


def test_turning_it_off_needs_a_code_and_an_admin_can_reset_it(team: Any, cli: Any) -> None:
    client = Client()
    codes = enrol(client, team.member)
    refused = client.post("/settings/security/disable", {"code": "000000"})
    assert refused.status_code == 422
    assert TOTPDevice.objects.filter(user=team.member.user).exists()
    let_the_wait_pass(team.member.user)
    off = client.post("/settings/security/disable", {"code": codes[1]}, follow=True)
    assert b"is off" in off.content
    assert not TOTPDevice.objects.filter(user=team.member.user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=team.member.user).exists()
    assert "otp.disabled" in kinds(team.member.user)
    enrol(Client(), team.other)
    listed = {row["email"]: row["two_factor"] for row in json.loads(cli("user", "list", "--json").output)}
    assert listed[team.other.email] is True and listed[team.member.email] is False
    reset = cli("user", "reset-2fa", team.other.email)
    assert reset.exit_code == 0 and "is off for olga.other@northbeam.example" in reset.output
    assert not TOTPDevice.objects.filter(user=team.other.user).exists()
    browser = Client()
    assert browser.post("/login/", {"username": team.other.email, "password": PASSWORD})["Location"] == "/"
    assert cli("user", "reset-2fa", team.other.email).output.strip().endswith("nothing changed.")


def test_new_recovery_codes_replace_the_old_ones(team: Any) -> None:
    client = Client()
    old = enrol(client, team.member)
    device = TOTPDevice.objects.get(user=team.member.user)
    shown = client.post("/settings/security/recovery-codes", {"code": next_code(device)})
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=team.member.user).values_list("token", flat=True)) == set(new)


@pytest.mark.parametrize(
    ("setting", "role", "local", "expected"),
    [
        ("off", Role.ADMIN, True, False),
        ("admins", Role.ADMIN, True, True),
        ("admins", Role.MANAGER, True, False),
        ("everyone", Role.VIEWER, True, True),
        ("everyone", Role.ADMIN, False, False),
        (" Admins ", Role.ADMIN, True, True),
    ],
)
def test_who_must_enrol(setting: str, role: Role, local: bool, expected: bool) -> None:
    assert must_enrol(requirement(setting), role, local=local, enrolled=False) is expected
    assert must_enrol(requirement(setting), role, local=local, enrolled=True) is False


@given(st.text(max_size=12).filter(lambda t: t.strip().lower() not in set(Requirement)))
def test_any_other_setting_is_refused_with_the_accepted_values(text: str) -> None:
    with pytest.raises(Unavailable, match="off, admins or everyone"):
        requirement(text)


@pytest.mark.parametrize(
    "path",
    [
        "web/views/sign_in.py",
        "web/views/security_settings.py",
        "web/second_factor.py",
        "web/templates/web/login_code.html",
        "web/templates/web/two_factor.html",
        "web/templates/web/recovery_codes.html",
    ],
)
def test_every_sentence_of_two_factor_sign_in_has_its_french(path: str) -> None:
    from tests.web import test_french_catalogue as french

    french.test_every_sentence_has_its_french(path)


def test_the_code_step_speaks_french(team: Any) -> None:
    enrol(Client(), team.member)
    browser = Client(HTTP_ACCEPT_LANGUAGE="fr")
    browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    assert "Connexion à deux facteurs" in browser.get("/login/code").content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_the_admin_site_login_does_not_skip_the_second_factor(team: Any) -> None:
    enrol(Client(), team.admin)
    attacker = Client()  # knows the password, not the phone
    attacker.post(f"/{ADMIN}login/", {"username": team.admin.email, "password": PASSWORD, "next": f"/{ADMIN}"})
    answer = attacker.get(f"/{ADMIN}")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
    assert attacker.get(f"/{ADMIN}").status_code == 302  # logged out, not let in later
    assert attacker.get("/api/v1/actions").status_code == 401
