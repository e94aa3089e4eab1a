"""A real Referly for the browser: the tiny demo, served by `referly serve`, driven by Debian's Chromium.

The server runs as a user would run it (its own process, gunicorn) on a database of its own: a SQLite
file, or a fresh PostgreSQL database when the suite runs on PostgreSQL. Chromium is launched from its
executable path, headless, with background networking off; any request that leaves the app is recorded
and aborted, so a page that needs the network fails its test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, scratch_settings

DEMO_PASSWORD = "referly-demo"
ADMIN = "admin@northbeam.example"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("REFERLY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is missing: CI installs Debian's chromium package (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@dataclass
class LiveReferly:
    url: str
    env: dict[str, str]
    manager: str  # the demo's manager login
    screenshots: Path
    outside: list[str] = field(default_factory=list)  # requests that tried to leave the app

    def referly(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "referly", *args], env=self.env, capture_output=True, text=True, check=False
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving_again(env: dict[str, str], cwd: Path, port: int) -> Iterator[None]:
    """A second ``referly serve`` of the demo database with settings of its own (one worker), its output in
    ``cwd/serve.log``; stopped at the end of the block."""
    log = cwd / "serve.log"
    args = ["--db", env["REFERLY_DB"]] if "REFERLY_DB" in env else []
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "referly", "serve", "--port", str(port), "--workers", "1", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"the second referly serve did not start: {log.read_text()}")
                time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def database_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    for own in scratch_settings(tmp_path_factory.mktemp("browser"), "browser"):
        yield {**clean, **own}


@pytest.fixture(scope="session")
def live(database_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveReferly]:
    """The tiny demo company, scored, with its logins, served on a free loopback port."""
    cwd = tmp_path_factory.mktemp("serve")
    args = ["--db", database_env["REFERLY_DB"]] if "REFERLY_DB" in database_env else []
    built = subprocess.run(
        [sys.executable, "-m", "referly", "demo", "--scale", "tiny", "--no-serve", *args],
        env=database_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    manager = next(
        line.split("log in as ")[1].split(" /")[0] for line in built.stdout.splitlines() if "(manager" in line
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "referly", "serve", "--port", str(port), "--workers", "2", *args],
        env=database_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"referly serve did not start: {server.stdout.read() if server.stdout else ''}")
            time.sleep(0.2)
    shots = Path(os.environ.get("REFERLY_SCREENSHOTS", "") or tmp_path_factory.mktemp("screenshots"))
    if not shots.is_absolute():
        shots = ROOT / shots
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield LiveReferly(f"http://127.0.0.1:{port}", {**database_env}, manager, shots)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def browser(live: LiveReferly) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def new_page(browser: Any, live: LiveReferly, *, width: int = 1280, height: int = 900, lang: str = "en") -> Any:
    """A fresh browser context (no cookies) whose requests outside the app are aborted and recorded."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)

    def guard(route: Any) -> None:
        if route.request.url.startswith(live.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            live.outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    return page


def log_in(page: Any, live: LiveReferly, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
