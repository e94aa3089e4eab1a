"""The HTTP request of one try: a POST that follows no redirect, with a timeout, to a checked address."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from referly import config
from referly.connect.addresses import check_url
from referly.connect.services import Answer, Request
from referly.errors import ReferlyError


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer like any other: a failed try, never a request elsewhere


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(request: Request) -> Answer:
    """Send ``request``; its answer's status, or why none came. Never raises for the receiver's faults."""
    started = time.perf_counter()
    try:
        check_url(request.url)
        http = urllib.request.Request(request.url, request.body.encode(), request.headers, method="POST")
        with _OPENER.open(http, timeout=config.WEBHOOK_TIMEOUT.count("seconds")) as answer:
            answer.read(65_536)
            return Answer(answer.status, time.perf_counter() - started)
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, time.perf_counter() - started, exc.reason if isinstance(exc.reason, str) else "")
    except ReferlyError as exc:
        return Answer(None, time.perf_counter() - started, exc.sentence)
    except (OSError, ValueError) as exc:
        return Answer(None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
