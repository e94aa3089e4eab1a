"""Exchange rates in a real browser: where the Reports page leaves deals out for want of a rate, its line links to
the Exchange rates page, where an admin (in English) and a manager (in French) upload a rates file; the deals are
converted at once. The demo's own USD and GBP rates are taken out first (and their files uploaded back), then
restored whatever happens. Screenshots: rates, rates-fr.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, DEMO_PASSWORD, LiveReferly, log_in, new_page

# Run in the served app's environment: write a currency's stored rates as a date,currency,rate file, then delete
# them, so that the Reports page has deals it cannot convert.
TAKE_OUT = """
import sys
from referly.database import open_database
open_database(migrate=False)
from django.db import transaction
from referly.reports.models import ExchangeRate
currency, path = sys.argv[1], sys.argv[2]
rows = ExchangeRate.objects.filter(currency=currency).order_by("day")
with open(path, "w", encoding="utf-8") as out:
    out.write("date,currency,rate\\n")
    out.writelines(f"{r.day},{r.currency},{r.rate.normalize()}\\n" for r in rows)
with transaction.atomic():
    print(rows.delete()[0])
"""


@pytest.fixture
def taken_out(live: LiveReferly, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """The demo's USD and GBP rates as files, no longer stored; stored again at the end."""
    files = {code: tmp_path / f"{code.lower()}-rates.csv" for code in ("USD", "GBP")}
    for code, path in files.items():
        done = subprocess.run(
            [sys.executable, "-c", TAKE_OUT, code, str(path)], env=live.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0 and int(done.stdout) > 0, done.stderr or done.stdout
    try:
        yield files
    finally:
        where = ["--db", live.env["REFERLY_DB"]] if "REFERLY_DB" in live.env else []
        for path in files.values():
            restored = live.referly("fx", "import", str(path), *where)
            assert restored.returncode == 0, restored.stderr


def submit(page: Any, button: Any) -> int:
    """Click a form's button; the status of the page it leads to."""
    with page.expect_navigation() as went:
        button.click()
    return int(went.value.status) if went.value is not None else 0


def test_the_reports_missing_rate_line_leads_to_an_upload_in_english_and_in_french(
    browser: Any, live: LiveReferly, taken_out: dict[str, Path], tmp_path: Path
) -> None:
    page = new_page(browser, live)
    log_in(page, live, ADMIN)
    page.goto(f"{live.url}/reports/")
    missing = page.locator("#pack-fx-missing")
    assert "USD" in missing.inner_text() and "referly fx import" in missing.inner_text()
    missing.get_by_role("link", name="Add exchange rates").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Exchange rates"
    assert page.locator("#rates-CAD").is_visible() and page.locator("#rates-USD").count() == 0

    page.get_by_label("Rates file", exact=True).set_input_files(str(taken_out["USD"]))
    assert submit(page, page.get_by_role("button", name="Import the rates")) == 200
    said = page.locator("#rates-outcome").inner_text()
    assert "usd-rates.csv" in page.locator("#rates-imported-title").inner_text()
    assert " added, 0 changed, 0 already stored." in said and "rates of USD" in said, said
    assert page.locator("#rates-USD").is_visible()
    page.screenshot(path=str(live.screenshots / "rates.png"), full_page=True)
    page.goto(f"{live.url}/reports/")
    left_out = page.locator("#pack-fx-missing")
    assert "USD" not in left_out.inner_text() and "GBP" in left_out.inner_text()  # the GBP file is still to come

    french = new_page(browser, live, lang="fr")
    french.goto(f"{live.url}/login/")
    french.get_by_label("E-mail").fill(live.manager)
    french.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    assert submit(french, french.get_by_role("button", name="Se connecter")) < 400
    french.goto(f"{live.url}/reports/")
    line = french.locator("#pack-fx-missing")
    assert "GBP" in line.inner_text() and "faute de taux de change" in line.inner_text()
    line.get_by_role("link", name="Ajouter des taux de change").click()
    french.wait_for_load_state()
    assert french.get_by_role("heading", level=1).inner_text().strip() == "Taux de change"

    bad = tmp_path / "taux.csv"
    bad.write_text("date,currency,rate\n2026-01-05,GBP,0.86\n2026-01-06,GBP,un\n", encoding="utf-8")
    french.get_by_label("Fichier de taux", exact=True).set_input_files(str(bad))
    assert submit(french, french.get_by_role("button", name="Importer les taux")) == 422
    error = french.get_by_role("alert").inner_text()
    assert "taux.csv, line 3, rate: 'un' is not a number" in error and "nothing was written" in error
    assert french.locator("#rates-GBP").count() == 0

    french.get_by_label("Fichier de taux", exact=True).set_input_files(str(taken_out["GBP"]))
    assert submit(french, french.get_by_role("button", name="Importer les taux")) == 200
    said = french.locator("#rates-outcome").inner_text()
    assert "taux de GBP" in said and " ajoutés, 0 modifiés, 0 déjà enregistrés." in said, said
    french.screenshot(path=str(live.screenshots / "rates-fr.png"), full_page=True)
    french.goto(f"{live.url}/reports/")
    assert french.locator("#pack-fx-missing").count() == 0, french.locator("#pack-fx").inner_text()

    refused = [p for p in french.problems if "status of 422" in p]  # the bad file's answer, as expected
    assert not page.problems and french.problems == refused[:1], page.problems + french.problems
    assert not live.outside, live.outside
