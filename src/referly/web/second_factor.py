"""The second factor on every request: a session must have passed it when its login has an authenticator, and
a login REFERLY_REQUIRE_2FA concerns is sent to enrol before any other page (the API refuses its session).

Whether a login has an authenticator is kept in its session for a minute (and forgotten when it enrols or turns
it off there), so the pages do not ask the database on every request; an authenticator enrolled in another
browser closes this session within that minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from referly.access.enrolment import Requirement, must_enrol, requirement
from referly.access.second_factor import is_enrolled, is_local
from referly.access.services import role_of

API_PREFIX = "/api/"
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # the session was opened with a password
ENROLMENT_KEY = "referly_enrolled"  # the session's kept answer: {"user": pk, "enrolled": bool, "at": epoch seconds}
ENROLMENT_SECONDS = 60


class SecondFactorRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        requirement(settings.REQUIRE_2FA)  # a wrong value stops the server at start, with the accepted ones

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if request.path.startswith(API_PREFIX) and "HTTP_AUTHORIZATION" in request.META:
            return None  # a token: its own rules (scope, expiry) apply, not the session's
        if getattr(user, "otp_device", None) is not None or not is_local(user):
            return None
        if request.session.get(BACKEND_SESSION_KEY) != PASSWORD_BACKEND:
            return None  # signed in through the identity provider, which asks its own second factor
        if enrolled(request):
            # Logged in without the second step (before enrolling elsewhere, or through another form): out.
            logout(request)
            if request.path.startswith(API_PREFIX):
                return _api_refusal(_("Log in again with your authenticator code."), "second_factor_missing", 401)
            return redirect(f"{reverse('web:login')}?{urlencode({'next': request.get_full_path()})}")
        required = requirement(settings.REQUIRE_2FA)
        if required is Requirement.OFF or not must_enrol(required, role_of(user), local=True, enrolled=False):
            return None
        if request.path.startswith(API_PREFIX):
            return _api_refusal(
                _("Turn two-factor sign-in on first (Settings, Two-factor sign-in), or use a personal token."),
                "second_factor_required",
                403,
            )
        if request.path.startswith(_free_paths()):
            return None
        return redirect("web:two_factor")


def enrolled(request: HttpRequest) -> bool:
    """Has the request's login an authenticator? The session's answer while it is under a minute old."""
    kept = request.session.get(ENROLMENT_KEY)
    now = time.time()
    if (
        isinstance(kept, dict)
        and kept.get("user") == request.user.pk
        and 0 <= now - kept.get("at", 0) < ENROLMENT_SECONDS
    ):
        return bool(kept.get("enrolled"))
    answer = is_enrolled(request.user)  # type: ignore[arg-type]
    request.session[ENROLMENT_KEY] = {"user": request.user.pk, "enrolled": answer, "at": now}
    return answer


def forget_enrolment(request: HttpRequest) -> None:
    """The login enrolled or turned its authenticator off in this session: the next request asks again."""
    request.session.pop(ENROLMENT_KEY, None)


def _free_paths() -> tuple[str, ...]:
    """What a login that must enrol may still reach: the enrolment itself, logging out, the language, files."""
    return (
        reverse("web:two_factor"),
        reverse("web:logout"),
        reverse("web:login"),
        reverse("set_language"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )


def _api_refusal(detail: str, code: str, status: int) -> JsonResponse:
    kind = "not_authenticated" if status == 401 else "not_permitted"
    return JsonResponse({"error": kind, "code": code, "field": None, "detail": detail}, status=status)
