"""Logging in and out in a real browser, the lockout, and the API's documentation page offline."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveReferly, log_in, new_page


def test_a_wrong_password_is_refused_and_the_right_one_opens_today(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live)
    log_in(page, live, live.manager, "not-the-password")
    assert "/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    log_in(page, live, live.manager)
    assert page.get_by_role("heading", level=1, name="Today").is_visible()
    page.screenshot(path=str(live.screenshots / "login-today.png"))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert "/login/" in page.url
    page.goto(f"{live.url}/")
    assert "/login/" in page.url  # the session is gone
    assert not page.problems and not live.outside


def test_the_api_documentation_loads_from_the_app_alone(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live)
    log_in(page, live, live.manager)
    page.goto(f"{live.url}/api/v1/docs")
    page.wait_for_selector("#swagger-ui .opblock", timeout=20_000)  # the operations rendered by Swagger UI
    assert page.locator(".opblock").count() >= 2
    assert not live.outside, live.outside
