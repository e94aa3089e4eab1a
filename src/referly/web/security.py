"""Security headers Django does not set itself: a Content-Security-Policy with no inline script."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Everything comes from the app: no CDN, no inline or evaluated script. Inline style attributes are
# allowed for the SVG charts the report pack shares with its offline HTML file.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicy:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from, for the lockout.

    Behind the HTTPS reverse proxy (REFERLY_HTTPS=1) it is the last address of X-Forwarded-For, the
    one the proxy itself appended (earlier ones are whatever the client claimed); otherwise the peer.
    """
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.HTTPS and forwarded:
        return forwarded.split(",")[-1].strip() or None
    peer: str | None = request.META.get("REMOTE_ADDR")
    return peer
