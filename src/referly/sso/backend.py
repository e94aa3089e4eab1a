"""The authentication backend of single sign-on: mozilla-django-oidc's code flow (token exchange, JWKS,
nonce, PKCE) with the checks it leaves out made here: audience, issuer, expiry and the user info's subject."""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from referly.sso.discovery import TIMEOUT, endpoints
from referly.sso.options import SIGNING_ALGORITHM, SignOnOptions, options, sign_on_enabled
from referly.sso.refusals import refused
from referly.sso.services import sign_in

# What mozilla-django-oidc asks its settings for, answered here rather than from Django's settings.
FIXED: dict[str, object] = {
    "OIDC_AUTHENTICATION_CALLBACK_URL": "sso:callback",
    "OIDC_TOKEN_USE_BASIC_AUTH": True,  # client_secret_basic: the method every provider accepts by default
    "OIDC_VERIFY_SSL": True,
    "OIDC_TIMEOUT": TIMEOUT,
    "OIDC_PROXY": None,
    "OIDC_USE_NONCE": True,
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_CREATE_USER": True,
}


class SignOn(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Listed in AUTHENTICATION_BACKENDS always: it answers only a provider's callback, when one is set up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint here; they are found at the first sign-in instead (discovery).
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return FIXED.get(attr, args[0] if args else None)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or not sign_on_enabled() or "code" not in request.GET or "state" not in request.GET:
            return None
        if not kwargs.get("nonce"):  # only the callback, which checked the state and holds its nonce, gets here
            return None
        self.options: SignOnOptions = options()
        found = endpoints(self.options.issuer)
        self.OIDC_OP_TOKEN_ENDPOINT = found.token
        self.OIDC_OP_USER_ENDPOINT = found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks
        self.OIDC_RP_CLIENT_ID = self.options.client_id
        self.OIDC_RP_CLIENT_SECRET = self.options.client_secret
        self.OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except requests.HTTPError:
            raise refused("token_refused") from None
        except requests.RequestException as exc:
            raise refused("invalid_token", detail=type(exc).__name__) from None
        except SuspiciousOperation as exc:  # nonce, algorithm or signing key: the library's own checks
            raise refused("invalid_token", detail=str(exc)) from None
        return user

    def get_payload_data(self, token: bytes | str, key: Any) -> dict[str, Any]:
        """The ID token's claims once its signature, audience, issuer and dates check out."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise refused("invalid_token") from None
        if header.get("alg") != SIGNING_ALGORITHM:
            raise refused("invalid_token", detail=f"signed with {header.get('alg')!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=self.options.client_id,
                issuer=self.options.issuer,
                leeway=self.options.clock_skew,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise refused("expired") from None
        except jwt.InvalidAudienceError:
            raise refused("wrong_audience", detail=str(_unverified(token).get("aud"))) from None
        except jwt.InvalidIssuerError:
            raise refused("wrong_issuer", detail=str(_unverified(token).get("iss"))) from None
        except jwt.InvalidSignatureError:
            raise refused("bad_signature") from None
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
            raise refused("not_yet_valid") from None
        except jwt.PyJWTError as exc:
            raise refused("invalid_token", detail=str(exc)) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.options.client_id:  # OpenID Connect Core 3.1.3.7
            raise refused("wrong_audience", detail="azp")
        return claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims with the user info's over them, when both name the same person."""
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise refused("invalid_token", detail="the user info names another subject")
        return {**payload, **info}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        return sign_in(self.get_userinfo(access_token, id_token, payload), self.options, self.request)


def _unverified(token: bytes | str) -> dict[str, Any]:
    try:
        return dict(jwt.decode(token, options={"verify_signature": False}))
    except jwt.PyJWTError:
        return {}
