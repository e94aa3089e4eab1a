"""Where a request comes from, for the login lockout and the portal's rate limits."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, for the login lockout and the rate limits.

    Behind the HTTPS reverse proxy (REFERLY_HTTPS=1) it is the last address of X-Forwarded-For, the
    one the proxy itself appended (earlier ones are whatever the client claimed); otherwise the peer.
    """
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.HTTPS and forwarded:
        return forwarded.split(",")[-1].strip() or None
    peer: str | None = request.META.get("REMOTE_ADDR")
    return peer
