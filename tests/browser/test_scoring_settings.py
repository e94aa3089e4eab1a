"""Settings → Scoring settings in a real browser: an admin changes a touch weight and the half-life, saves,
and finds the change in force and in the history; then the same in French. Screenshots: scoring-settings,
scoring-settings-fr. The shipped defaults are put back at the end, for the other journeys on this server."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ADMIN, DEMO_PASSWORD, LiveReferly, log_in, new_page


def save(page: Any, button: Any) -> None:
    with page.expect_navigation() as went:
        button.click()
    status = went.value.status if went.value is not None else 0
    assert status < 400, f"the form was refused ({status}): {page.locator('body').inner_text()[:300]}"


def test_an_admin_changes_a_weight_and_the_half_life_and_sees_the_history(browser: Any, live: LiveReferly) -> None:
    page = new_page(browser, live)
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/settings/#scoring")
    form = page.locator("#scoring-form")
    form.get_by_label("Half-life (days)").fill("0")
    with page.expect_navigation():
        form.get_by_role("button", name="Check and save").click()
    assert page.get_by_text("Nothing was saved: correct the values marked below.").is_visible()
    half_life = page.locator("#scoring-form").get_by_label("Half-life (days)")
    assert half_life.get_attribute("aria-invalid") == "true"
    assert "must be positive" in page.locator("#scoring-strength-half_life_days-error").inner_text()

    form = page.locator("#scoring-form")
    form.get_by_label("Half-life (days)").fill("45")
    form.get_by_label("meeting").fill("5")
    form.get_by_label("Why (kept in the history, optional)").fill("meetings matter more here")
    save(page, form.get_by_role("button", name="Check and save"))
    assert "Scoring settings saved" in page.locator("body").inner_text()
    assert "Half-life 45" in page.locator("#scoring").inner_text()
    assert page.locator("#scoring-form").get_by_label("meeting").input_value() == "5"
    row = page.locator("#scoring-history tbody tr").first
    assert "admin" in row.inner_text() and "Settings page form" in row.inner_text()
    assert "meetings matter more here" in row.inner_text()
    assert "stored in the database" in page.locator("#scoring-origin").inner_text()
    page.screenshot(path=str(live.screenshots / "scoring-settings.png"), full_page=True)
    assert [p for p in page.problems if "422" not in p] == [], "only the refused save answers with an error"

    french = new_page(browser, live, lang="fr")
    french.goto(f"{live.url}/login/")
    french.get_by_label("E-mail").fill(ADMIN)
    french.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    save(french, french.get_by_role("button", name="Se connecter"))
    french.goto(f"{live.url}/settings/#scoring")
    form = french.locator("#scoring-form")
    assert form.get_by_label("Demi-vie (jours)").input_value() == "45"
    form.get_by_label("Demi-vie (jours)").fill("60")
    form.get_by_label("call").fill("2,5")  # a decimal comma, as French is typed
    form.get_by_label("Pourquoi (gardé dans l’historique, facultatif)").fill("appels moins utiles")
    save(french, form.get_by_role("button", name="Vérifier et enregistrer"))
    assert "Réglages de notation enregistrés" in french.locator("body").inner_text()
    row = french.locator("#scoring-history tbody tr").first
    assert "Formulaire de la page Réglages" in row.inner_text() and "appels moins utiles" in row.inner_text()
    assert french.locator("#scoring-form").get_by_label("call").input_value() == "2.5"
    assert french.locator("#scoring-history tbody tr").count() == 2
    assert "enregistrée dans la base" in french.locator("#scoring-origin").inner_text()
    french.screenshot(path=str(live.screenshots / "scoring-settings-fr.png"), full_page=True)

    save(french, french.get_by_role("button", name="Revenir aux réglages par défaut"))
    assert french.locator("#scoring-form").get_by_label("Demi-vie (jours)").input_value() == "30"
    assert french.problems == []
