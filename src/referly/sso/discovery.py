"""Where the provider's endpoints are: read once per process from its OpenID discovery document."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests

from referly.errors import Unavailable

TIMEOUT = 10  # seconds for any call to the provider: a sign-in waits on it
_found: dict[str, Endpoints] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str


def endpoints(issuer: str) -> Endpoints:
    """The endpoints ``issuer`` publishes at ``/.well-known/openid-configuration``, kept for the process's life.

    The document must name the same issuer (OpenID Connect Discovery 1.0, section 4.3): a document naming
    another one is refused, as a provider impersonating the configured one would be."""
    with _lock:
        known = _found.get(issuer)
    if known is not None:
        return known
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = requests.get(url, timeout=TIMEOUT)
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unavailable(
            f"The identity provider does not answer at {url}", detail=type(exc).__name__, code="sso_unreachable"
        ) from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        named = document.get("issuer") if isinstance(document, dict) else None
        raise Unavailable(
            f"The identity provider at {url} calls itself {named!r}, not {issuer!r} (REFERLY_OIDC_ISSUER)",
            code="sso_wrong_issuer",
        )
    keys = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    missing = [key for key in keys if not isinstance(document.get(key), str)]
    if missing:
        raise Unavailable(f"The identity provider's {url} names no {', '.join(missing)}", code="sso_discovery")
    found = Endpoints(issuer, *(str(document[key]) for key in keys))
    with _lock:
        _found[issuer] = found
    return found


def forget_endpoints() -> None:
    """Read the document again at the next sign-in (a provider moved, or a test started another one)."""
    with _lock:
        _found.clear()
