"""Two-factor sign-in in a real browser: enrol from the page's key, log out, log in with a code from it."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from typing import Any

from django_otp.oath import TOTP

from tests.browser.conftest import LiveReferly, log_in, new_page

EMAIL = "tess.two-factor@northbeam.example"
PASSWORD = "a-long-enough-pass-phrase"


def code_from(secret: str, steps_ahead: int = 0) -> str:
    """What the phone shows for ``secret`` (the base32 key on the page), ``steps_ahead`` periods from now."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_enrol_then_log_in_with_a_code(browser: Any, live: LiveReferly) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "referly", "user", "create", EMAIL, "--role", "member", "--password-stdin"],
        input=PASSWORD + "\n",
        env=live.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    page = new_page(browser, live)
    log_in(page, live, EMAIL, PASSWORD)
    page.goto(f"{live.url}/settings/security/")
    assert page.locator("#two-factor-qr svg").is_visible()
    page.screenshot(path=str(live.screenshots / "two-factor-enrol.png"), full_page=True)
    secret = page.locator("#two-factor-secret").inner_text()
    assert (page.locator("#two-factor-uri").text_content() or "").startswith("otpauth://totp/Referly")
    page.get_by_label("Code from the app").fill(code_from(secret))
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_load_state()
    assert page.locator("#recovery-list li").count() == 10
    page.screenshot(path=str(live.screenshots / "two-factor-recovery-codes.png"))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    log_in(page, live, EMAIL, PASSWORD)
    assert page.url.endswith("/login/code")
    page.goto(f"{live.url}/")
    assert "/login/" in page.url  # half logged in: the app stays closed until the code
    page.goto(f"{live.url}/login/code")
    page.get_by_label("Code").fill(code_from(secret, 1))  # the next period's code: the first one was spent
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1, name="Today").is_visible()
    page.goto(f"{live.url}/settings/security/")
    assert "10 recovery codes are left" in page.locator("#two-factor-on").inner_text()
    assert not page.problems and not live.outside
