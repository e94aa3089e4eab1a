"""The answer while the database is out of reach (restarting, disk full): 503 and when to try again, not a 500.

Django calls ``server_error`` for any exception nothing else handled, in a view or in a middleware, while the
exception is still being handled; a database that went away gets 503 with ``Retry-After``, in the API's JSON
shape under ``/api/`` and as a page that needs no database elsewhere. Anything else is Django's plain 500.
The sentence names no host or file: who reads it may not be logged in.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from referly.database import unavailable

RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exception()
    if exc is None or unavailable(exc) is None:
        return defaults.server_error(request)
    sentence = _(
        "The database is not answering (it may be restarting or out of space): nothing of this request was kept. "
        "Try again in a few seconds."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        body = {"error": "unavailable", "code": "database_unavailable", "field": None, "detail": sentence}
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(render_to_string("web/unavailable.html", {"sentence": sentence}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
