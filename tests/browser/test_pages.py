"""Every page in a real browser, the one-click ask, a referral moved to won on the board, an import.

Screenshots of each page go to REFERLY_SCREENSHOTS (docs/screenshots when the docs are refreshed:
`REFERLY_SCREENSHOTS=docs/screenshots python -m pytest tests/browser`), else to a scratch folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, LiveReferly, log_in, new_page

PAGES = [  # (screenshot name, path, the page's heading)
    ("today", "/?scope=everyone", "Today"),
    ("sponsors", "/sponsors/", "Sponsors"),
    ("accounts", "/accounts/", "Accounts"),
    ("board", "/referrals/?scope=everyone", "Referral pipeline"),
    ("reports", "/reports/", None),
    ("reviews", "/reviews/", None),
    ("import", "/import/", "Import a CRM export"),
    ("settings", "/settings/", "Settings"),
]


def shoot(page: Any, live: LiveReferly, name: str) -> None:
    page.screenshot(path=str(live.screenshots / f"{name}.png"), full_page=False)


@pytest.fixture
def admin_page(browser: Any, live: LiveReferly) -> Any:
    page = new_page(browser, live)
    log_in(page, live, ADMIN)
    return page


def test_every_page_opens_from_the_app_alone(admin_page: Any, live: LiveReferly) -> None:
    page = admin_page
    for name, path, heading in PAGES:
        answer = page.goto(f"{live.url}{path}")
        assert answer.status == 200, f"{path} answered {answer.status}"
        title = page.get_by_role("heading", level=1)
        assert title.count() == 1 and title.is_visible(), path
        if heading:
            assert title.inner_text().strip().startswith(heading), (path, title.inner_text())
        shoot(page, live, name)
    # one account and one referral, opened from their lists
    page.goto(f"{live.url}/accounts/")
    page.locator("#accounts a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/accounts/\d+/$", page.url)
    shoot(page, live, "account")
    page.goto(f"{live.url}/referrals/?scope=everyone")
    page.locator(".referral-card a[href*='/referrals/']").first.click()
    page.wait_for_load_state()
    assert re.search(r"/referrals/\d+/$", page.url)
    shoot(page, live, "referral")
    assert not page.problems, page.problems
    assert not live.outside, live.outside


def test_an_ask_logged_on_today_moves_to_won_on_the_board(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live)
    log_in(page, live, live.manager)
    first = page.locator("li.action").first
    sponsor_heading = first.get_by_role("heading", level=2).inner_text()
    first.get_by_role("button", name="I asked: log the ask and create the referral").click()
    page.wait_for_load_state()
    status = page.get_by_role("status")
    assert "Ask logged: referral" in status.inner_text(), sponsor_heading
    referral_id = re.search(r"referral (\d+)", status.inner_text())[1]  # type: ignore[index]

    page.goto(f"{live.url}/referrals/")
    card = page.locator(f"#referral-{referral_id}")
    assert card.locator("xpath=ancestor::section").get_attribute("id") == "stage-requested"
    for stage, label in [("introduced", "Introduced"), ("meeting", "Meeting"), ("opportunity", "Opportunity")]:
        card = page.locator(f"#referral-{referral_id}")
        card.get_by_text("Advance").click()  # the card's form folds away until asked for
        card.locator(f"#advance-{referral_id}-stage").select_option(stage)
        card.locator(f"#advance-{referral_id}-note").fill(f"moved to {stage} in the browser")
        if stage == "introduced":
            card.locator(f"#advance-{referral_id}-consent").check()
        card.get_by_role("button", name="Move").click()
        page.wait_for_load_state()
        assert f"is now {label}" in page.get_by_role("status").inner_text()
    # the last move from the referral's own page, then it shows in the Won column
    page.goto(f"{live.url}/referrals/{referral_id}/")
    page.locator("select[id$='-stage']").first.select_option("won")
    page.get_by_role("button", name="Move").first.click()
    page.wait_for_load_state()
    assert "is now Won" in page.get_by_role("status").inner_text()
    page.goto(f"{live.url}/referrals/")
    assert page.locator(f"#stage-won #referral-{referral_id}").count() == 1
    shoot(page, live, "board-after-won")
    assert not page.problems and not live.outside


def test_an_upload_is_checked_before_it_is_committed(admin_page: Any, live: LiveReferly, tmp_path: Path) -> None:
    page = admin_page
    bad = tmp_path / "accounts-bad.csv"
    bad.write_text(
        "name,domain,employees\nBrowser Test One,browser-one.example,120\nBrowser Test Two,browser-two.example,lots\n"
    )
    page.goto(f"{live.url}/import/")
    page.locator("#import-file").set_input_files(str(bad))
    page.locator("#import-kind").select_option("accounts")
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert "Preview: nothing is written yet" in page.locator("#import-outcome").inner_text()
    errors = page.locator("#import-errors").inner_text()
    assert "employees" in errors and "lots" in errors
    shoot(page, live, "import-preview")

    good = tmp_path / "accounts.csv"
    good.write_text("name,domain,employees\nBrowser Test One,browser-one.example,120\n")
    page.goto(f"{live.url}/import/")
    page.locator("#import-file").set_input_files(str(good))
    page.locator("#import-kind").select_option("accounts")
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    page.locator("#import-commit").click()
    page.wait_for_load_state()
    assert "Imported" in page.locator("#import-outcome").inner_text()
    page.goto(f"{live.url}/accounts/?q=Browser+Test")
    assert page.locator("#accounts").inner_text().count("Browser Test") == 1  # the bad file wrote nothing
    assert not page.problems and not live.outside


def test_on_a_phone_in_french_with_the_keyboard(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live, width=390, height=844, lang="fr-FR")
    log_in_fr(page, live)
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Aujourd’hui" or "Aujourd" in (
        page.get_by_role("heading", level=1).inner_text()
    )
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways on a phone ({width}px)"
    shoot(page, live, "today-phone-fr")
    page.goto(f"{live.url}/referrals/")
    shoot(page, live, "board-phone-fr")
    assert not page.problems and not live.outside


def log_in_fr(page: Any, live: LiveReferly) -> None:
    page.goto(f"{live.url}/login/")
    page.locator("#id_username").fill(live.manager)
    page.locator("#id_password").fill("referly-demo")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en-GB", "fr-FR"])
def test_a_refused_move_marks_the_field_it_concerns_in_either_language(
    browser: Any, live: LiveReferly, lang: str
) -> None:
    page = new_page(browser, live, lang=lang)
    log_in_fr(page, live)  # by the fields' ids: the labels are in the page's language
    page.goto(f"{live.url}/referrals/?stage=requested")
    card = page.locator("#stage-requested [id^='referral-']").first
    referral_id = card.get_attribute("id").removeprefix("referral-")  # type: ignore[union-attr]
    page.goto(f"{live.url}/referrals/{referral_id}/")
    assert page.locator("html").get_attribute("lang") == lang[:2]
    form = page.locator("#advance-form")

    form.locator("#advance-stage").select_option("introduced")  # without the referrer's confirmation
    form.locator("button.primary").click()
    page.wait_for_load_state()
    assert page.locator("#advance-consent").get_attribute("aria-invalid") == "true"
    assert page.locator("#advance-stage").get_attribute("aria-invalid") is None
    assert page.locator("#advance-error").is_visible()

    page.locator("#advance-form input[name=expected_version]").evaluate("field => { field.value = '999'; }")
    page.locator("#advance-stage").select_option("withdrawn")
    page.locator("#advance-form button.primary").click()
    page.wait_for_load_state()
    assert page.locator("#advance-error a[href$='/referrals/" + referral_id + "/']").is_visible()  # reload it
    assert page.locator("#advance-consent").get_attribute("aria-invalid") is None
    assert page.locator("#advance-stage").get_attribute("aria-invalid") is None
    page.goto(f"{live.url}/referrals/{referral_id}/")
    assert page.locator("#referral-stage").inner_text().strip() in ("Requested", "Demandée")  # nothing moved
    assert [p for p in page.problems if "409 (Conflict)" not in p] == []  # the two refusals answer 409
    assert not live.outside
