"""A laptop's board and the Team page, in a real browser, in English and French."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ADMIN, LiveReferly, log_in, new_page

LAPTOP = {"width": 1366, "height": 768}
CLOSED = ("won", "lost", "declined", "no_response", "withdrawn")
OPEN = ("identified", "requested", "introduced", "meeting", "opportunity")


def log_in_by_ids(page: Any, live: LiveReferly, email: str, password: str = "referly-demo") -> None:
    """Log in whatever the page's language (the fields by their ids)."""
    page.goto(f"{live.url}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en-GB", "fr-FR"])
def test_the_whole_board_fits_a_laptop_and_a_closed_stage_opens_from_the_keyboard(
    browser: Any, live: LiveReferly, lang: str
) -> None:
    page = new_page(browser, live, lang=lang, **LAPTOP)
    log_in_by_ids(page, live, ADMIN)
    page.goto(f"{live.url}/referrals/?scope=everyone")
    assert page.locator("html").get_attribute("lang") == lang[:2]
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"], "the page scrolls sideways"
    board = page.locator("#board")
    assert board.evaluate("b => b.scrollWidth <= b.clientWidth"), "the board hides columns to its right"
    for stage in (*OPEN, *CLOSED):
        header = page.locator(f"#stage-{stage}-title")
        assert header.is_visible(), stage
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], (stage, box)
        assert box["y"] < LAPTOP["height"], f"{stage}'s header is below the first screen"
        assert header.inner_text().strip()
    for stage in CLOSED:
        assert page.locator(f"#stage-{stage}").get_attribute("open") is None, f"{stage} starts folded"
    won = page.locator("#stage-won")
    count = won.locator("summary .count").inner_text().strip()
    assert count.replace("\u202f", "").replace("\xa0", "").replace(",", "").isdigit()
    won.locator("summary").focus()
    page.keyboard.press("Enter")
    assert won.get_attribute("open") is not None
    assert won.locator(".referral-card").first.is_visible()
    page.keyboard.press("Enter")
    assert won.get_attribute("open") is None
    page.screenshot(path=str(live.screenshots / f"board-laptop-{lang[:2]}.png"))
    assert not page.problems and not live.outside


@pytest.mark.parametrize(
    ("lang", "words"), [("en-GB", ("Team", "Create a login")), ("fr-FR", ("Équipe", "Créer un accès"))]
)
def test_an_admin_gives_a_teammate_a_login_that_shows_their_own_work(
    browser: Any, live: LiveReferly, lang: str, words: tuple[str, str]
) -> None:
    page = new_page(browser, live, lang=lang)
    log_in_by_ids(page, live, ADMIN)
    page.goto(f"{live.url}/settings/")
    page.locator("#team-link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().strip() == words[0]
    # a teammate without a login (the demo's logins are three): the first one the page lists
    row = page.locator("#teammates tbody tr:has(details.no-login)").nth(0 if lang == "en-GB" else 1)
    name = row.locator("th").inner_text().strip()
    row_id = row.get_attribute("id")
    email_field = row.locator("input[name=email]").first
    email = email_field.input_value()
    email_field.fill("not an address")
    row.locator("form").first.locator("button").click()
    page.wait_for_load_state()
    refused = page.locator(f"#{row_id} input[name=email]").first
    assert refused.get_attribute("aria-invalid") == "true"
    assert page.locator(f"#{row_id} .field-error").is_visible()
    refused.fill(email)
    page.locator(f"#{row_id} form").first.locator("button").click()
    page.wait_for_load_state()
    assert email in page.get_by_role("status").inner_text()

    row = page.locator(f"#{row_id}")
    row.locator("details.no-login summary").press("Enter")
    row.locator("select[name=role]").first.select_option("member")
    row.get_by_role("button", name=words[1]).click()
    page.wait_for_load_state()
    password = page.locator("#new-password").inner_text().strip()
    assert password and email in page.locator("#new-login").inner_text()
    assert email in page.locator(f"#{row_id}").inner_text()

    theirs = new_page(browser, live, lang=lang)
    log_in_by_ids(theirs, live, email, password)
    assert theirs.url.rstrip("/") == live.url, "the new login is let in"
    owners = theirs.locator("li.action").all_inner_texts()
    assert all(name in text for text in owners), f"{email}'s Today shows someone else's actions"
    assert [p for p in page.problems if "422" not in p] == [] and not theirs.problems  # 422: the refused e-mail
    assert not live.outside


def test_the_demo_manager_is_announced_as_who_they_are(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live)
    log_in(page, live, live.manager)
    page.goto(f"{live.url}/?scope=mine")
    assert page.locator(".who .user").inner_text().startswith(live.manager)
    assert not page.problems and not live.outside
