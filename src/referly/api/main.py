"""The API object: authentication (personal tokens or the dashboard's session), errors as stable JSON.

Every error answers ``{"error": KIND, "detail": ...}``: KIND is one word a program can branch on
(``not_authenticated``, ``not_permitted``, ``not_found``, ``conflict``, ``invalid_input``, ...) and
detail says what went wrong in words, or lists the invalid fields for ``invalid_input``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from referly.access.services import Actor, actor_for, token_actor
from referly.api.bulk import RowsRefused
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


api = NinjaAPI(
    title="Referly API",
    version="1",
    description=(
        "Referly's REST API: accounts, contacts, signals, interactions, opportunities, referrals, next best "
        "actions, ask scripts, metrics and imports. Authenticate with a personal token "
        "(`Authorization: Bearer rly_...`, from `referly user token EMAIL`) or the dashboard's session. "
        'Errors answer `{"error": KIND, "detail": ...}`. Creates accept an `Idempotency-Key` header.'
    ),
    auth=[TokenAuth(), SessionActor()],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, kind: str, detail: Any) -> HttpResponse:
    return api.create_response(request, {"error": kind, "detail": detail}, status=status)


@api.exception_handler(ReferlyError)
def referly_error(request: HttpRequest, exc: ReferlyError) -> HttpResponse:
    return _error(request, exc.http_status, exc.kind, str(exc))


@api.exception_handler(RowsRefused)
def rows_refused(request: HttpRequest, exc: RowsRefused) -> HttpResponse:
    return _error(request, exc.http_status, exc.kind, exc.rows)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", "Send a valid token: Authorization: Bearer rly_...")


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "payload")), "reason": e.get("msg")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid_input", fields)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "Not found")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    kinds = {
        400: "invalid_input",
        401: "not_authenticated",
        403: "not_permitted",
        404: "not_found",
        405: "method_not_allowed",
    }
    return _error(request, exc.status_code, kinds.get(exc.status_code, "error"), str(exc))


def _register() -> None:
    from referly.api import routers

    for prefix, router in routers.ALL:
        api.add_router(prefix, router)


_register()
