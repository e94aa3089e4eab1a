"""The settings of single sign-on, read when used: each missing or wrong one is named in a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from referly.errors import Unavailable
from referly.sso.options import options, passwords_allowed, sign_on_enabled


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("REFERLY_OIDC_ISSUER", "https://login.northbeam.example")
    monkeypatch.setenv("REFERLY_OIDC_CLIENT_ID", "referly")
    monkeypatch.setenv("REFERLY_OIDC_CLIENT_SECRET", "s3cret")
    return monkeypatch


def test_off_until_an_issuer_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFERLY_OIDC_ISSUER", raising=False)
    assert not sign_on_enabled()
    with pytest.raises(Unavailable, match="REFERLY_OIDC_ISSUER is empty"):
        options()


def test_the_secret_may_come_from_a_file(configured: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configured.delenv("REFERLY_OIDC_CLIENT_SECRET")
    with pytest.raises(Unavailable, match="REFERLY_OIDC_CLIENT_SECRET_FILE"):
        options()
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\nignored\n")
    configured.setenv("REFERLY_OIDC_CLIENT_SECRET_FILE", str(secret))
    assert options().client_secret == "from-a-file"
    configured.setenv("REFERLY_OIDC_CLIENT_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(Unavailable, match="cannot be read"):
        options()


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("REFERLY_OIDC_CLIENT_ID", "", "REFERLY_OIDC_CLIENT_ID is empty"),
        ("REFERLY_OIDC_ISSUER", "login.northbeam.example", "must be a URL"),
        ("REFERLY_OIDC_SCOPES", "openid profile", "must include openid and email"),
        ("REFERLY_OIDC_ROLES", "sales=boss", "the role 'boss' of 'sales'"),
        ("REFERLY_OIDC_DEFAULT_ROLE", "guest", "REFERLY_OIDC_DEFAULT_ROLE"),
        ("REFERLY_OIDC_CLOCK_SKEW", "soon", "REFERLY_OIDC_CLOCK_SKEW"),
    ],
)
def test_a_wrong_setting_is_named(configured: pytest.MonkeyPatch, name: str, value: str, said: str) -> None:
    configured.setenv(name, value)
    with pytest.raises(Unavailable, match=said):
        options()


def test_passwords_are_on_unless_set_to_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFERLY_PASSWORD_LOGIN", raising=False)
    assert passwords_allowed()
    monkeypatch.setenv("REFERLY_PASSWORD_LOGIN", "0")
    assert not passwords_allowed()
