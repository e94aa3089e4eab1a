"""Security headers Django does not set itself (a Content-Security-Policy with no inline script), and the
settings production refuses to start with.

Production is one rule: REFERLY_HTTPS=1, the app served to others over TLS. There a missing, short or
placeholder REFERLY_SECRET_KEY and REFERLY_DEBUG=1 stop `referly serve` and the WSGI entry before they answer.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from referly import config
from referly.errors import Unavailable

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

# Browser features no page of Referly uses, refused to every page and to anything a page might embed.
FEATURES = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class ContentSecurityPolicy:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", FEATURES)
        return response


MIN_KEY_LENGTH = 50  # Django's own deployment check asks for as many
# Words of the placeholders people paste from examples; a random key of 50+ characters holds none of them.
PLACEHOLDER_WORDS = ("change", "secret", "example", "default", "insecure", "placeholder", "replace", "password")
NEW_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def production_refusal(*, production: bool, debug: bool, secret_key: str) -> tuple[str, str] | None:
    """Why production may not start with these settings, as (code, sentence), or None. Never quotes the key."""
    if not production:
        return None
    if debug:
        return (
            "debug_in_production",
            "REFERLY_DEBUG=1 is for development only: it shows internals to anyone who can reach the app, "
            "and REFERLY_HTTPS=1 says this is production",
        )
    key = secret_key.strip()
    if not key:
        return (
            "secret_key_missing",
            f"REFERLY_SECRET_KEY is not set, and production (REFERLY_HTTPS=1) needs one of at least "
            f"{MIN_KEY_LENGTH} random characters, the same on every server: make one with {NEW_KEY}",
        )
    if len(key) < MIN_KEY_LENGTH:
        return (
            "secret_key_short",
            f"REFERLY_SECRET_KEY has {len(key)} characters, and production (REFERLY_HTTPS=1) needs at least "
            f"{MIN_KEY_LENGTH} random ones: make one with {NEW_KEY}",
        )
    if len(set(key)) < 10 or any(word in key.lower() for word in PLACEHOLDER_WORDS) or key.startswith("django-"):
        return (
            "secret_key_placeholder",
            "REFERLY_SECRET_KEY looks like a placeholder, not a random key, and production (REFERLY_HTTPS=1) "
            f"needs a random one: make one with {NEW_KEY}",
        )
    return None


def configured_refusal() -> tuple[str, str] | None:
    """``production_refusal`` of the REFERLY_* variables this process was started with."""
    return production_refusal(
        production=config.HTTPS.on(), debug=config.DEBUG.on(), secret_key=config.SECRET_KEY.value()
    )


def check_production() -> None:
    """Refuses to go on, as one sentence and exit code 6, when production's settings are unsafe."""
    refused = configured_refusal()
    if refused is not None:
        code, sentence = refused
        raise Unavailable(sentence, code=code)
