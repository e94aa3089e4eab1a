"""The API's rate limits: per token, per address without a token, and failed authentications per address.

Counted in the shared cache (a database table, django-ratelimit's keys and windows), so every server process
shares the counts. Windows are fixed minutes, each key's shifted by a stable offset, so ``Retry-After`` is the
seconds until the window of that key ends. A token is counted by the prefix of its SHA-256 digest, known or not.

Failed authentications are counted one by one (they are rare, and a guesser must be stopped at the 20th). An
ordinary request does not write: each process takes its requests from the shared count in leases (a twentieth of
the limit at most, smaller as the count nears the limit, a single request under 20 a minute) and serves them
from memory, so the processes together never serve more than the limit; one near its limit may refuse a little
early while another holds unused requests of the minute.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit import core as ratelimit

from referly.kit.client import client_ip

API_PATH = "/api/"
MINUTE = 60
LEASE_PARTS = 20  # a lease is at most this fraction of a limit


@dataclass(frozen=True)
class Limit:
    """One counter: its group, the Django setting of its requests per minute, and its refusal's code."""

    group: str
    setting: str
    code: str
    sentence: str  # formatted with {limit} and {seconds}

    def per_minute(self) -> int:
        limit: int = getattr(settings, self.setting)
        return limit


FAILURES = Limit(
    "api.failures",
    "API_FAILURES_PER_MINUTE",
    "too_many_failures",
    "Too many failed authentications from your address (at most {limit} a minute): "
    "try again in {seconds} seconds with a valid token",
)
PER_TOKEN = Limit(
    "api.token",
    "API_TOKEN_PER_MINUTE",
    "token_limit",
    "Too many requests with this token (at most {limit} a minute): try again in {seconds} seconds",
)
PER_ADDRESS = Limit(
    "api.address",
    "API_ADDRESS_PER_MINUTE",
    "address_limit",
    "Too many requests without a token from your address (at most {limit} a minute): try again in {seconds} seconds",
)


@dataclass(frozen=True)
class Refusal:
    limit: Limit
    retry_after: int

    def response(self) -> HttpResponse:
        detail = self.limit.sentence.format(limit=self.limit.per_minute(), seconds=self.retry_after)
        body = {"error": "rate_limited", "code": self.limit.code, "field": None, "detail": detail}
        answer = JsonResponse(body, status=429)
        answer.headers["Retry-After"] = str(self.retry_after)
        return answer


def bearer_token(request: HttpRequest) -> str | None:
    """The token of ``Authorization: Bearer TOKEN``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_key(token: str) -> str:
    """What a token is counted by: the first 16 hex digits of its SHA-256 digest (the raw token is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def count(request: HttpRequest, limit: Limit, key: str, *, increment: bool) -> Refusal | None:
    """Counts this request against ``limit`` for ``key`` (or only looks): a refusal once over the limit."""
    rate = (limit.per_minute(), MINUTE)
    usage = ratelimit.get_usage(
        request, group=limit.group, key=lambda _group, _request: key, rate=rate, increment=increment
    )
    # None: limits switched off; a limit of 0 is the library's sign that the count could not be kept (the
    # database busy): the API stays open rather than refusing everyone.
    if usage is None or usage["limit"] == 0 or not usage["should_limit"]:
        return None
    return Refusal(limit, max(1, int(usage["time_left"])))


@dataclass(frozen=True)
class Window:
    """One key's current minute: its end (epoch seconds) and its key in the shared cache."""

    end: int
    cache_key: str

    @classmethod
    def of(cls, limit: Limit, key: str) -> Window:
        rate = f"{limit.per_minute()}/{MINUTE}s"
        end = ratelimit._get_window(key, MINUTE)
        return cls(end, ratelimit._make_cache_key(limit.group, end, rate, key, ratelimit.get_usage.ALL))

    def refusal(self, limit: Limit) -> Refusal:
        return Refusal(limit, max(1, self.end - int(ratelimit.time.time())))  # the library's clock: one clock


def looked_up(limit: Limit, key: str) -> Refusal | None:
    """A refusal when ``key`` is already over ``limit`` this minute; reads the count, never writes it."""
    window = Window.of(limit, key)
    seen = caches[settings.RATELIMIT_USE_CACHE].get(window.cache_key)
    return window.refusal(limit) if isinstance(seen, int) and seen > limit.per_minute() else None


def lease_size(limit: int, used: int) -> int:
    """How many requests to take at once: a twentieth of the limit, an eighth of what is left near the end."""
    return max(1, min(limit // LEASE_PARTS, (limit - used) // 8))


class Leases:
    """This process's requests still to serve, per key and minute, taken from the shared count."""

    def __init__(self) -> None:
        self.left: dict[str, tuple[int, int]] = {}  # cache key: (requests left, the window's end)
        self.used: dict[str, int] = {}  # cache key: the shared count when last seen
        self.lock = threading.Lock()

    def take(self, limit: Limit, key: str) -> Refusal | None:
        if limit.per_minute() <= 0:
            return None  # no count can be kept under a limit of 0: open, as the library answers
        window = Window.of(limit, key)
        with self.lock:
            left, end = self.left.get(window.cache_key, (0, window.end))
            if left > 0:
                self.left[window.cache_key] = (left - 1, end)
                return None
            used = self.used.get(window.cache_key, 0)
            if used >= limit.per_minute():
                return window.refusal(limit)  # the minute's count only grows: no need to ask again
            wanted = lease_size(limit.per_minute(), used)
        granted, used = self.reserve(limit, window, wanted)
        with self.lock:
            self.forget_before(window.end)
            self.used[window.cache_key] = used
            if granted <= 0:
                return window.refusal(limit)
            left, _end = self.left.get(window.cache_key, (0, window.end))
            self.left[window.cache_key] = (left + granted - 1, window.end)
        return None

    @staticmethod
    def reserve(limit: Limit, window: Window, wanted: int) -> tuple[int, int]:
        """Adds ``wanted`` to the shared count: how many of them fit under the limit, and the count now."""
        shared = caches[settings.RATELIMIT_USE_CACHE]
        try:
            shared.add(window.cache_key, 0, MINUTE + ratelimit.EXPIRATION_FUDGE)
            used = int(shared.incr(window.cache_key, wanted))
        except (ValueError, TypeError):  # the count could not be kept: the API stays open, as with the failures
            return wanted, 0
        return min(wanted, limit.per_minute() - (used - wanted)), used

    def forget_before(self, end: int) -> None:
        """Drops the leases of minutes already over (called with the lock held)."""
        if len(self.left) > 1000:
            for stale in [k for k, (_left, e) in self.left.items() if e < end - MINUTE]:
                del self.left[stale]
                self.used.pop(stale, None)


LEASES = Leases()


def refusal_before(request: HttpRequest, address: str) -> Refusal | None:
    """A refusal before the request runs: its address failed too often, or its token or address asked too often."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None  # limits switched off (as django-ratelimit's own switch does)
    failing = looked_up(FAILURES, address)
    if failing is not None:
        return failing
    token = bearer_token(request)
    if token is not None:
        return LEASES.take(PER_TOKEN, token_key(token))
    return LEASES.take(PER_ADDRESS, address)


class ApiRateLimits:
    """Middleware: limits requests under /api/ and answers ``429`` with ``Retry-After`` in the API's error shape.

    A request answered ``401`` counts as a failed authentication of its address; past the limit the address
    is refused every API request until its minute ends, so a token cannot be guessed at full speed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PATH):
            return self.get_response(request)
        address = client_ip(request) or "unknown"
        refused = refusal_before(request, address)
        if refused is not None:
            return refused.response()
        response = self.get_response(request)
        if response.status_code == 401:
            failed = count(request, FAILURES, address, increment=True)
            if failed is not None:
                return failed.response()
        return response
