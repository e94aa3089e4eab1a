"""A real OpenID provider for the tests: the `oidc-provider` package (tests/sso/provider) run by Node on a
free loopback port, with the accounts and clients a test gives it, stopped when the test is done."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

FOLDER = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "referly"
CLIENT_SECRET = "referly-test-secret"
ROLES = "referly-admins=admin,sales-leads=manager,sales=member"
PASSWORD = "provider-password"


def account(email: str, *, groups: list[str], verified: bool = True, **tamper: str) -> dict[str, Any]:
    """An account at the provider; ``tamper`` rewrites its ID token (aud, iss, or key="foreign")."""
    claims = {"email": email, "email_verified": verified, "name": email.split("@")[0].replace(".", " ").title()}
    return {"password": PASSWORD, "claims": {**claims, "groups": groups}, **({"tamper": tamper} if tamper else {})}


ACCOUNTS: dict[str, dict[str, Any]] = {
    "ann.lee@northbeam.example": account("ann.lee@northbeam.example", groups=["sales", "sales-leads"]),
    "bo.chen@northbeam.example": account("bo.chen@northbeam.example", groups=["sales"]),
    "uma.unverified@northbeam.example": account("uma.unverified@northbeam.example", groups=["sales"], verified=False),
    "nils.nogroup@northbeam.example": account("nils.nogroup@northbeam.example", groups=["finance"]),
    "otto.other@northbeam.example": account("otto.other@northbeam.example", groups=["sales"], aud="other-app"),
    "ivy.issuer@northbeam.example": account("ivy.issuer@northbeam.example", groups=["sales"], iss="https://idp.evil"),
    "fay.forged@northbeam.example": account("fay.forged@northbeam.example", groups=["sales"], key="foreign"),
}


@dataclass
class OpenIdProvider:
    issuer: str
    log: Path

    def settings(self, **overrides: str) -> dict[str, str]:
        """The REFERLY_OIDC_* settings of a Referly registered with this provider as client ``referly``."""
        return {
            "REFERLY_OIDC_ISSUER": self.issuer,
            "REFERLY_OIDC_CLIENT_ID": CLIENT_ID,
            "REFERLY_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "REFERLY_OIDC_SCOPES": "openid email profile groups",
            "REFERLY_OIDC_NAME": "Northbeam ID",
            "REFERLY_OIDC_ROLES": ROLES,
            **overrides,
        }


def node() -> str:
    """Node, with the provider's packages installed (`npm ci --prefix tests/sso/provider`)."""
    found = shutil.which("node")
    problem = ""
    if found is None:
        problem = "Node.js is not installed (the single sign-on tests run the oidc-provider package with it)"
    elif not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        problem = "the test OpenID provider is not installed: run npm ci --prefix tests/sso/provider"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    assert found is not None
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_provider(
    folder: Path,
    redirect_uris: list[str],
    *,
    accounts: dict[str, dict[str, Any]] | None = None,
    clock_offset: int = 0,
    id_token_ttl: int = 300,
) -> Iterator[OpenIdProvider]:
    """The provider on a free loopback port, with clients ``referly`` and ``other-app`` sending people back to
    ``redirect_uris``; its clock is ``clock_offset`` seconds off and its ID tokens live ``id_token_ttl`` seconds."""
    executable = node()
    port = free_port()
    settings = folder / "provider.json"
    settings.write_text(
        json.dumps(
            {
                "port": port,
                "clients": [
                    {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
                    {"client_id": "other-app", "client_secret": "other-secret", "redirect_uris": redirect_uris},
                ],
                "accounts": ACCOUNTS if accounts is None else accounts,
                "clockOffset": clock_offset,
                "idTokenTtl": id_token_ttl,
            }
        )
    )
    log = folder / "provider.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [executable, str(FOLDER / "server.mjs"), str(settings)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90  # a busy machine has taken over 30 s to start Node.js and the provider
        while "ready" not in log.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                how = f"exit code {server.returncode}" if server.returncode is not None else "no answer in 90 s"
                pytest.fail(f"the test OpenID provider did not start ({how}): {log.read_text()}")
            time.sleep(0.1)
        yield OpenIdProvider(f"http://127.0.0.1:{port}", log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def log_in_at_provider(authorization_url: str, login: str, password: str = PASSWORD) -> str:
    """What a person does at the provider: open the login page Referly sent them to, fill it in, and follow the
    provider's redirects; returns the URL the provider sends them back to (Referly's callback)."""
    browser = requests.Session()
    answer = browser.get(authorization_url, allow_redirects=False, timeout=10)
    while answer.is_redirect and "/interaction/" not in answer.headers["location"]:
        answer = browser.get(urljoin(answer.url, answer.headers["location"]), allow_redirects=False, timeout=10)
    page = browser.get(urljoin(answer.url, answer.headers["location"]), timeout=10)
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None, page.text
    answer = browser.post(
        urljoin(page.url, action.group(1)), data={"login": login, "password": password}, allow_redirects=False
    )
    while answer.is_redirect:
        target = urljoin(answer.url, answer.headers["location"])
        if not target.startswith(authorization_url.split("/auth")[0]):
            return target
        answer = browser.get(target, allow_redirects=False, timeout=10)
    raise AssertionError(f"the provider did not send the person back: {answer.status_code} {answer.text[:300]}")
