"""Single sign-on in a real browser: the login page's "Sign in with ..." to the real OpenID provider's login
form, and back to Today as the role the person's groups map to, with no request leaving the two servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveReferly, free_port, serving_again
from tests.sso.identity_provider import PASSWORD, account, running_provider

PERSON = "sam.rivera@northbeam.example"


def test_sign_in_with_the_provider_opens_today_as_the_mapped_role(
    browser: Any, live: LiveReferly, tmp_path: Path
) -> None:
    port = free_port()
    referly = f"http://127.0.0.1:{port}"
    people = {PERSON: account(PERSON, groups=["sales", "sales-leads"])}
    with running_provider(tmp_path, [f"{referly}/sso/callback/"], accounts=people) as provider:
        env = {**live.env, **provider.settings(REFERLY_PASSWORD_LOGIN="0")}
        with serving_again(env, tmp_path, port):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
            outside: list[str] = []

            def guard(route: Any) -> None:
                if route.request.url.startswith((referly, provider.issuer)):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.set_default_timeout(15_000)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))

            page.goto(f"{referly}/login/")
            assert page.get_by_label("Password").count() == 0  # passwords are off: the provider only
            page.screenshot(path=str(live.screenshots / "login-sso.png"))
            page.get_by_role("link", name="Sign in with Northbeam ID").click()
            page.wait_for_url(f"{provider.issuer}/interaction/**")
            page.get_by_label("E-mail").fill(PERSON)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{referly}/")
            assert page.get_by_role("heading", level=1, name="Today").is_visible()
            assert page.locator(".who .user").inner_text() == f"{PERSON} · Manager"
            page.screenshot(path=str(live.screenshots / "today-after-sso.png"))
            context.close()
            assert not problems and not outside, (problems, outside)
    logins = {row["email"]: row for row in json.loads(live.referly("user", "list", "--json").stdout)}
    assert logins[PERSON]["role"] == "manager" and logins[PERSON]["teammate"] == "Sam Rivera"
