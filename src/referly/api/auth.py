"""Who calls the API: personal tokens or the dashboard's session, and the API object they authenticate to."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from referly.access.services import Actor, actor_for, token_actor


class TokenAuth(HttpBearer):
    """``Authorization: Bearer rly_...``: a personal token, acting with its user's role within its scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        actor = token_actor(token, timezone.now())
        if actor is not None:
            request.actor = actor  # type: ignore[attr-defined]
        return actor


class SessionActor(SessionAuth):
    """The dashboard's session cookie (with its CSRF token on writes)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = super().authenticate(request, key)
        if user is None:
            return None
        actor = actor_for(user)
        request.actor = actor  # type: ignore[attr-defined]
        return actor


def actor(request: HttpRequest) -> Actor:
    """The authenticated actor of an API request."""
    found: Actor = request.actor  # type: ignore[attr-defined]
    return found


api = NinjaAPI(
    title="Referly API",
    version="1",
    description=(
        "Referly's REST API: accounts, contacts, signals, interactions, opportunities, referrals, next best "
        "actions, ask scripts, metrics and imports. Authenticate with a personal token "
        "(`Authorization: Bearer rly_...`, from `referly user token EMAIL`) or the dashboard's session. "
        'Errors answer `{"error": KIND, "code": CODE, "field": FIELD, "detail": ...}`. '
        "Creates accept an `Idempotency-Key` header."
    ),
    auth=[TokenAuth(), SessionActor()],
    urls_namespace="api",
)
