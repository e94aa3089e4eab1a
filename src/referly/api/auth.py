"""Who calls the API: personal tokens or the dashboard's session, and the API object they authenticate to."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from referly.access.services import Actor, actor_for, token_actor
from referly.errors import ReferlyError


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


def _token_holder(request: HttpRequest) -> bool:
    try:
        return TokenAuth()(request) is not None
    except (ReferlyError, AuthenticationError, HttpError):  # a token refused with a reason of its own
        return False


def schema_for_logins(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and its page, for a session or a valid token only, unless REFERLY_API_SCHEMA_PUBLIC=1.

    Anyone else gets the API's ``401`` for the document, and the login page (then back) for the page.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.API_SCHEMA_PUBLIC or request.user.is_authenticated or _token_holder(request):
            return view(request, *args, **kwargs)
        if request.resolver_match is not None and request.resolver_match.url_name == "openapi-view":
            return redirect_to_login(request.get_full_path())
        body = {
            "error": "not_authenticated",
            "code": "not_authenticated",
            "field": None,
            "detail": "The API's schema is for logins: send a valid token (Authorization: Bearer rly_...) or log in",
        }
        return api.create_response(request, body, status=401)

    return guarded


api = NinjaAPI(
    title="Referly API",
    version="1",
    description=(
        "Referly's REST API: accounts, contacts, signals, interactions, opportunities, referrals, next best "
        "actions, ask scripts, metrics and imports. Authenticate with a personal token "
        "(`Authorization: Bearer rly_...`, from `referly user token EMAIL`) or the dashboard's session. "
        'Errors answer `{"error": KIND, "code": CODE, "field": FIELD, "detail": ...}`. '
        "Creates accept an `Idempotency-Key` header. Requests are rate limited per token and per address: "
        "past a limit the answer is `429` with a `Retry-After` header."
    ),
    auth=[TokenAuth(), SessionActor()],
    docs_decorator=schema_for_logins,
    urls_namespace="api",
)
