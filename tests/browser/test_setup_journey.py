"""The Setup page in a real browser: on an empty database every line says what fills it and an empty Today links
to its line; after importing accounts, the accounts line fills; the demo company shows the lists ready. English and
French. Screenshots: setup-empty, setup-fr."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, DEMO_PASSWORD, LiveReferly, free_port, log_in, new_page, serving_again
from tests.conftest import scratch_settings

EMAIL, PASSWORD = "ana@ourco.example", "setup-journey-password"


def referly(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> None:
    db = ["--db", env["REFERLY_DB"]] if "REFERLY_DB" in env else []
    done = subprocess.run(
        [sys.executable, "-m", "referly", *args, *db], env=env, cwd=cwd, input=stdin, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def empty(live: LiveReferly, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveReferly, dict[str, str]]]:
    """A second `referly serve` of a new database that holds one admin login and nothing else."""
    cwd = tmp_path_factory.mktemp("setup")
    clean = {k: v for k, v in live.env.items() if not k.startswith(("REFERLY_DB", "REFERLY_DATABASE_URL"))}
    for own in scratch_settings(cwd, "setup"):
        env = {**clean, **own}
        referly(env, cwd, "init")
        referly(
            env,
            cwd,
            "user",
            "create",
            EMAIL,
            "--role",
            "admin",
            "--name",
            "Ana Lopez",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        port = free_port()
        with serving_again(env, cwd, port):
            yield LiveReferly(f"http://127.0.0.1:{port}", env, live.manager, live.screenshots), {**env, "cwd": str(cwd)}


def test_an_empty_database_says_what_fills_each_list_and_today_links_to_its_line(
    browser: object, empty: tuple[LiveReferly, dict[str, str]]
) -> None:
    served, env = empty
    page = new_page(browser, served)
    log_in(page, served, EMAIL, PASSWORD)
    page.goto(f"{served.url}/")
    link = page.locator("#today-why-empty")
    assert link.get_attribute("href") == "/setup/#readiness-actions"
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("/setup/#readiness-actions")
    accounts = page.locator("#readiness-accounts")
    assert "nothing yet" in accounts.inner_text()
    assert "No account yet: import your CRM export" in accounts.inner_text()
    assert page.locator("#readiness-accounts a").get_attribute("href") == "/import/"  # an admin gets the fix link
    assert "0 possible sponsors: no account yet" in page.locator("#readiness-sponsors").inner_text()
    assert page.locator(".error").count() == 0  # an empty list is normal, not an error
    page.screenshot(path=str(served.screenshots / "setup-empty.png"), full_page=True)

    cwd = Path(env.pop("cwd"))
    (cwd / "accounts.csv").write_text("name,industry,employees,country\nAcme,Software,300,US\n", encoding="utf-8")
    referly(env, cwd, "import", "accounts", str(cwd / "accounts.csv"))
    page.goto(f"{served.url}/setup/")
    filled = page.locator("#readiness-accounts").inner_text()
    assert "1 accounts: 0 clients (0 from a won deal), 1 prospects." in filled and "partial" in filled
    assert "0 possible sponsors: 0 accounts are clients" in page.locator("#readiness-sponsors").inner_text()
    assert page.problems == []


def test_the_setup_page_in_french_on_the_demo_company(browser: object, live: LiveReferly) -> None:
    page = new_page(browser, live, lang="fr")
    page.goto(f"{live.url}/login/")
    page.get_by_label("E-mail").fill(ADMIN)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    page.goto(f"{live.url}/setup/")
    assert page.locator("h1").inner_text() == "Mise en route"
    assert "Vos données" in page.content() and "Ce qu’elles rendent possible" in page.content()
    assert "prêt" in page.locator("#readiness-actions").inner_text()
    page.goto(f"{live.url}/sponsors/?q=zzzz-nobody")
    assert page.locator("#sponsors-why-empty").get_attribute("href") == "/setup/#readiness-sponsors"
    assert "Pourquoi cette liste est-elle vide ?" in page.locator("#sponsors-why-empty").inner_text()
    page.screenshot(path=str(live.screenshots / "setup-fr.png"), full_page=True)
    assert page.problems == []
