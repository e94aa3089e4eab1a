"""The import page's mapping step in a real browser: a HubSpot deals export with a column the preset does not
know and a custom pipeline stage; the admin picks the column and the stage, the choice is saved and the next
check reads the file through it. Then the same step in French with another custom stage. Nothing is
committed: the demo database the other browser tests read stays as it was.
Screenshots: import-mapping, import-mapping-fr.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ADMIN, DEMO_PASSWORD, LiveReferly, log_in, new_page
from tests.browser.test_pages import shoot
from tests.browser.test_portal_journey import submit

# A HubSpot deals "Export view" (headers as HubSpot writes them, docs/import-presets.md) from a saved view
# that shows a custom "Company" property instead of the associated company, and a custom pipeline.
HEADER = b"Record ID,Deal Name,Amount,Deal Stage,Close Date,Create Date,Deal owner,Original Traffic Source,Company\n"
ENGLISH = HEADER + (
    b"88001,Orchid Labs - Pilot,9000,Closed Won,2025-02-14 10:00,2024-11-05 09:12,,Referrals,Orchid Labs\n"
    b"88002,Orchid Labs - Rollout,42000,Demo booked,,2026-06-02 14:05,,Organic Search,Orchid Labs\n"
)
FRENCH = HEADER + b"88003,Orchid Labs - Extension,12000,Discovery call,,2026-07-02 14:05,,Organic Search,Orchid Labs\n"
NAME = "hubspot-crm-exports-all-deals-2024-05-01.csv"


def check(page: Any, live: LiveReferly, content: bytes, button: str) -> None:
    page.goto(f"{live.url}/import/")
    page.set_input_files("#import-file", files=[{"name": NAME, "mimeType": "text/csv", "buffer": content}])
    page.select_option("#import-preset", "hubspot")
    submit(page, page.get_by_role("button", name=button))


def test_an_admin_maps_a_column_and_a_custom_stage_then_the_saved_choice_is_used(
    browser: Any, live: LiveReferly
) -> None:
    page = new_page(browser, live)
    log_in(page, live, ADMIN)
    check(page, live, ENGLISH, "Check the file")
    warnings = page.locator("#import-warnings").inner_text()
    assert "no company column" in warnings and "1 won deal will not make its company a client" in warnings
    assert "'Company' (did you mean" in warnings
    assert page.locator("#column-amount").input_value() == "Amount", "the preset preselects its column"
    assert page.get_by_role("heading", name="Deal stages Referly does not know").is_visible()
    page.get_by_label("account", exact=True).select_option("Company")
    page.get_by_label("Demo booked").select_option("qualification")
    shoot(page, live, "import-mapping")
    submit(page, page.get_by_role("button", name="Save these columns and check again"))
    saved = page.locator("#import-mapping-saved").inner_text()
    assert "hubspot-opportunities.toml" in saved and "referly import --mapping" in saved
    assert page.locator("#column-account").input_value() == "Company"
    assert "no company column" not in page.locator("#import-outcome").inner_text()
    assert page.locator("#import-stages").count() == 0, "the stage is mapped"

    french = new_page(browser, live, lang="fr")
    french.goto(f"{live.url}/login/")
    french.get_by_label("E-mail").fill(ADMIN)
    french.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    submit(french, french.get_by_role("button", name="Se connecter"))
    check(french, live, FRENCH, "Vérifier le fichier")
    assert "hubspot-opportunities.toml" in french.locator("#import-mapping-used").inner_text()
    assert "Lu avec la correspondance enregistrée" in french.locator("#import-mapping-used").inner_text()
    assert french.locator("#column-account").input_value() == "Company", "the saved choice is read"
    assert french.get_by_role("heading", name="Colonnes pour opportunities").is_visible()
    assert french.get_by_role("heading", name="Étapes de vente que Referly ne connaît pas").is_visible()
    french.get_by_label("Discovery call").select_option("proposal")
    shoot(french, live, "import-mapping-fr")
    submit(french, french.get_by_role("button", name="Enregistrer ces colonnes et vérifier à nouveau"))
    assert "enregistré dans" in french.locator("#import-mapping-saved").inner_text()
    assert french.locator("#import-stages").count() == 0

    assert not page.problems and not french.problems, page.problems + french.problems
    assert not live.outside, live.outside
