"""How single sign-on is set up: the REFERLY_OIDC_* settings, read when used and checked together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from referly import config
from referly.access.roles import Role
from referly.errors import Unavailable
from referly.sso.groups import parse_mapping, parse_role

SIGNING_ALGORITHM = "RS256"  # what every provider signs ID tokens with by default; the key comes from its JWKS


@dataclass(frozen=True)
class SignOnOptions:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    name: str
    role_claim: str
    roles: dict[str, Role]
    default_role: Role | None
    verified_claim: str
    clock_skew: int  # seconds


def sign_on_enabled() -> bool:
    return bool(config.OIDC_ISSUER.value().strip())


def passwords_allowed() -> bool:
    """Local passwords are on unless REFERLY_PASSWORD_LOGIN is 0."""
    return config.PASSWORD_LOGIN.value().strip() != "0"


def provider_name() -> str:
    return config.OIDC_NAME.value().strip() or "SSO"


def options() -> SignOnOptions:
    """The settings of single sign-on, or ``Unavailable`` naming the one that is missing or wrong."""
    issuer = config.OIDC_ISSUER.value().strip()
    if not issuer:
        raise Unavailable("Single sign-on is not set up here (REFERLY_OIDC_ISSUER is empty)", code="sso_off")
    if not issuer.startswith(("https://", "http://")):
        raise Unavailable(
            f"REFERLY_OIDC_ISSUER must be a URL such as https://login.example.com, not {issuer!r}", code="sso_settings"
        )
    client_id = config.OIDC_CLIENT_ID.value().strip()
    if not client_id:
        raise Unavailable(
            "REFERLY_OIDC_CLIENT_ID is empty: set the client id given by the provider", code="sso_settings"
        )
    scopes = " ".join(config.OIDC_SCOPES.value().split())
    if "openid" not in scopes.split() or "email" not in scopes.split():
        raise Unavailable(f"REFERLY_OIDC_SCOPES must include openid and email, not {scopes!r}", code="sso_settings")
    try:
        skew = int(config.OIDC_CLOCK_SKEW.value())
    except ValueError:
        skew = -1
    if skew < 0:
        raise Unavailable("REFERLY_OIDC_CLOCK_SKEW must be a whole number of seconds, 0 or more", code="sso_settings")
    return SignOnOptions(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret(),
        scopes=scopes,
        name=provider_name(),
        role_claim=config.OIDC_ROLE_CLAIM.value().strip() or "groups",
        roles=parse_mapping(config.OIDC_ROLES.value()),
        default_role=parse_role(config.OIDC_DEFAULT_ROLE.value()),
        verified_claim=config.OIDC_VERIFIED_CLAIM.value().strip() or "email_verified",
        clock_skew=skew,
    )


def client_secret() -> str:
    """REFERLY_OIDC_CLIENT_SECRET, else the first line of REFERLY_OIDC_CLIENT_SECRET_FILE."""
    secret = config.OIDC_CLIENT_SECRET.value().strip()
    if secret:
        return secret
    path = config.OIDC_CLIENT_SECRET_FILE.path()
    if path is None:
        raise Unavailable(
            "Set REFERLY_OIDC_CLIENT_SECRET or REFERLY_OIDC_CLIENT_SECRET_FILE to the client secret",
            code="sso_settings",
        )
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise Unavailable(
            f"REFERLY_OIDC_CLIENT_SECRET_FILE cannot be read: {exc.strerror}", code="sso_settings"
        ) from None
    if not lines or not lines[0].strip():
        raise Unavailable(f"REFERLY_OIDC_CLIENT_SECRET_FILE {path} is empty", code="sso_settings")
    return lines[0].strip()
