"""The headers and defaults a server facing the internet needs, and the settings production refuses to start with.

Production is REFERLY_HTTPS=1. The refusals are tried with the real `referly serve` and a real gunicorn loading
the WSGI entry, as an operator would start them.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from referly.web.security import MIN_KEY_LENGTH, production_refusal
from tests.conftest import ROOT
from tests.personas import PASSWORD
from tests.web.conftest import Company, logged_in
from tests.web.test_every_url import rules

GOOD_KEY = secrets.token_urlsafe(64)
TEMPLATES = sorted((ROOT / "src" / "referly").glob("**/templates/**/*.html"))


# --- no inline script in any template -------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def inline_script(html: str) -> list[str]:
    """What the Content-Security-Policy would block: inline <script>, on*= handlers, javascript: URLs."""
    return [m.group(0)[:60] for pattern in (INLINE_SCRIPT, HANDLER, SCRIPT_URL) for m in pattern.finditer(html)]


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        '<button onclick="go()">Go</button>',
        "<body\n  onload='go()'>",
        '<a href="javascript:go()">Go</a>',
    ],
)
def test_the_template_scan_finds_inline_script(html: str) -> None:
    assert inline_script(html)


def test_the_template_scan_lets_script_files_and_plain_words_through() -> None:
    harmless = '<script src="/static/web/app.js" defer></script><p>Sent online = fine; onboarding</p>'
    assert inline_script(harmless) == []


def test_no_template_holds_an_inline_script() -> None:
    assert len(TEMPLATES) > 20
    found = {str(t.relative_to(ROOT)): inline_script(t.read_text()) for t in TEMPLATES}
    assert {name: hits for name, hits in found.items() if hits} == {}


# --- headers on every page -------------------------------------------------------------------------------------


def assert_security_headers(answer: Any, where: str) -> None:
    policy = answer.headers.get("Content-Security-Policy", "")
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"], where
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, where
    assert answer.headers.get("Referrer-Policy") == "same-origin", where
    assert "camera=()" in answer.headers.get("Permissions-Policy", ""), where
    assert answer.headers.get("X-Frame-Options") == "DENY", where
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", where


def test_every_page_of_the_dashboard_carries_the_security_headers(company: Company) -> None:
    admin = logged_in(Client(), company.team.admin)
    for name, (method, args, _expected) in rules(company).items():
        if method == "get":
            assert_security_headers(admin.get(reverse(name, args=args)), name)


@pytest.mark.parametrize(
    "path", ["/login/", "/p/not-a-link/", "/o/not-a-link/", "/api/v1/actions", "/api/v1/openapi.json", "/nowhere/"]
)
def test_pages_without_a_login_carry_them_too(db: None, path: str) -> None:
    assert_security_headers(Client().get(path), path)


# --- cookies ---------------------------------------------------------------------------------------------------


def test_cookies_are_http_only_and_same_site_over_plain_http(team: Any) -> None:
    browser = Client()
    browser.get("/login/")
    answer = browser.post("/login/", {"username": team.member.email, "password": PASSWORD})
    assert answer.status_code == 302
    session = answer.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax" and not session["secure"]
    assert browser.cookies["csrftoken"]["samesite"] == "Lax"
    language = browser.post("/i18n/setlang/", {"language": "fr", "next": "/"}).cookies["django_language"]
    assert language["httponly"] and language["samesite"] == "Lax"


# --- production: the rule --------------------------------------------------------------------------------------


@given(debug=st.booleans(), key=st.text(max_size=80))
def test_outside_production_nothing_is_refused(debug: bool, key: str) -> None:
    assert production_refusal(production=False, debug=debug, secret_key=key) is None


@given(key=st.text())
def test_debug_is_always_refused_in_production(key: str) -> None:
    refused = production_refusal(production=True, debug=True, secret_key=key)
    assert refused is not None and refused[0] == "debug_in_production"


@given(key=st.text(max_size=MIN_KEY_LENGTH - 1))
def test_a_short_or_missing_key_is_always_refused_in_production(key: str) -> None:
    refused = production_refusal(production=True, debug=False, secret_key=key)
    assert refused is not None and refused[0] in ("secret_key_missing", "secret_key_short")


def test_random_keys_pass_and_placeholders_do_not() -> None:
    for _ in range(500):
        assert production_refusal(production=True, debug=False, secret_key=secrets.token_urlsafe(50)) is None
    for placeholder in ("change-me-" * 6, "django-insecure-" + "x1y2z3" * 9, "a" * 64, "my-super-SECRET-key-" * 3):
        refused = production_refusal(production=True, debug=False, secret_key=placeholder)
        assert refused is not None and refused[0] == "secret_key_placeholder", placeholder


# --- production: the real commands -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(folder: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    return env | {"REFERLY_DB": str(folder / "referly.db")} | settings


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a SQLite database already migrated, so the servers of these tests start at once."""
    folder = tmp_path_factory.mktemp("production")
    made = subprocess.run(
        [sys.executable, "-m", "referly", "init"],
        env=clean_env(folder),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return folder


@contextmanager
def serving(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """`referly serve` with one worker on a free loopback port; its URL while the block runs."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "referly", "serve", "--port", str(port), "--workers", "1", "--threads", "1"],
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"referly serve did not start: {server.communicate()[0]}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def fetch(url: str, **headers: str) -> tuple[int, Message]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
        return answer.status, answer.headers


def test_production_with_a_good_key_serves_with_hsts_and_secure_cookies(migrated: Path) -> None:
    env = clean_env(migrated, REFERLY_HTTPS="1", REFERLY_SECRET_KEY=GOOD_KEY)
    with serving(migrated, env) as url:
        status, headers = fetch(f"{url}/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("csrftoken=") and "Secure" in cookie and "SameSite=Lax" in cookie
    assert headers["Referrer-Policy"] == "same-origin" and "script-src 'self'" in headers["Content-Security-Policy"]


def test_a_one_person_install_starts_without_any_key_and_without_hsts(migrated: Path) -> None:
    with serving(migrated, clean_env(migrated)) as url:
        status, headers = fetch(f"{url}/login/")
    assert status == 200
    assert "Strict-Transport-Security" not in headers
    assert "Secure" not in headers["Set-Cookie"]
    assert (migrated / ".referly-secret-key").is_file()  # the generated key the demo and a laptop use


REFUSALS = {
    "no key": ({}, "REFERLY_SECRET_KEY is not set"),
    "short key": ({"REFERLY_SECRET_KEY": "x7Gq2pLm9Rt4Vw8Yz1Bc"}, "REFERLY_SECRET_KEY has 20 characters"),
    "placeholder": ({"REFERLY_SECRET_KEY": "change-me-" * 6}, "REFERLY_SECRET_KEY looks like a placeholder"),
    "debug": ({"REFERLY_SECRET_KEY": GOOD_KEY, "REFERLY_DEBUG": "1"}, "REFERLY_DEBUG=1 is for development only"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_referly_serve_refuses_to_start_in_production(case: str, migrated: Path) -> None:
    settings, sentence = REFUSALS[case]
    refused = subprocess.run(
        [sys.executable, "-m", "referly", "serve", "--port", str(free_port()), "--workers", "1"],
        env=clean_env(migrated, REFERLY_HTTPS="1", **settings),
        cwd=migrated,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 6
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {sentence}"), refused.stderr
    assert settings.get("REFERLY_SECRET_KEY", "@@") not in refused.stderr  # never quoted back
    assert "Traceback" not in refused.stderr + refused.stdout


@pytest.mark.parametrize("case", ["no key", "debug"])
def test_a_wsgi_server_loading_the_app_in_production_stops_with_the_sentence(case: str, migrated: Path) -> None:
    settings, sentence = REFUSALS[case]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    refused = subprocess.run(
        [str(gunicorn), "--bind", f"127.0.0.1:{free_port()}", "--workers", "1", "referly.wsgi:application"],
        env=clean_env(migrated, REFERLY_HTTPS="1", **settings),
        cwd=migrated,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 4  # gunicorn's "App failed to load": it stops instead of retrying
    assert f"Error: {sentence}" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_wsgi_entry_outside_production_loads(migrated: Path) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "from referly.wsgi import application; print(type(application).__name__)"],
        env=clean_env(migrated, REFERLY_DEBUG="1"),
        cwd=migrated,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "WSGIHandler"
