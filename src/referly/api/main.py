"""The API's error answers and its routers: every error is stable JSON, ``{"error", "code", "field", "detail"}``.

``error`` is the kind, one word a program can branch on (``not_authenticated``, ``not_permitted``,
``not_found``, ``conflict``, ``invalid_input``, ...); ``code`` is finer and as stable (e.g.
``stale_version``, ``consent_required``, ``ask_refused``; the kind again when there is none); ``field``
names the input it concerns, or is null; ``detail`` says what went wrong in words, or lists the invalid
fields (or rows) for a request that does not match its schema.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from referly.api.auth import api
from referly.api.bulk import RowsRefused
from referly.errors import ReferlyError

__all__ = ["api"]


def _error(
    request: HttpRequest, status: int, kind: str, detail: Any, *, code: str | None = None, field: str | None = None
) -> HttpResponse:
    body = {"error": kind, "code": code or kind, "field": field, "detail": detail}
    return api.create_response(request, body, status=status)


@api.exception_handler(ReferlyError)
def referly_error(request: HttpRequest, exc: ReferlyError) -> HttpResponse:
    return _error(request, exc.http_status, exc.kind, exc.sentence, code=exc.code, field=exc.field)


@api.exception_handler(RowsRefused)
def rows_refused(request: HttpRequest, exc: RowsRefused) -> HttpResponse:
    return _error(request, exc.http_status, exc.kind, exc.rows, code=exc.code)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not_authenticated", "Send a valid token: Authorization: Bearer rly_...")


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "payload")), "reason": e.get("msg")}
        for e in exc.errors
    ]
    only = fields[0]["field"] if len(fields) == 1 else None
    return _error(request, 422, "invalid_input", fields, code="invalid_schema", field=only)


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
