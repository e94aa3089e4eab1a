"""The test OpenID provider, and a Referly (Django's test client) set up to sign in with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sso.identity_provider import OpenIdProvider, running_provider

CALLBACK = "http://testserver/sso/callback/"  # where Django's test client is served


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    with running_provider(tmp_path_factory.mktemp("provider"), [CALLBACK]) as running:
        yield running


@pytest.fixture
def sign_on(provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenIdProvider]:
    """Single sign-on set up with ``provider`` for this test (REFERLY_OIDC_* in the environment)."""
    from referly.sso.discovery import forget_endpoints

    for name, value in provider.settings().items():
        monkeypatch.setenv(name, value)
    forget_endpoints()
    yield provider
    forget_endpoints()
