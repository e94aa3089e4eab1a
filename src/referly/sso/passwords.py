"""Local passwords switched off (REFERLY_PASSWORD_LOGIN=0): a password posted to a login form is refused
before any password is checked, and the login page is told what to offer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from referly.audit.trail import record
from referly.errors import NotPermitted
from referly.sso.options import passwords_allowed, provider_name, sign_on_enabled
from referly.sso.views import refusal_page

PASSWORD_FORMS = frozenset({"web:login", "admin:login"})


class PasswordsOff:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if request.method != "POST" or passwords_allowed():
            return None
        match = request.resolver_match
        if match is None or match.view_name not in PASSWORD_FORMS:
            return None
        username = str(request.POST.get("username", ""))[:254]
        record(
            "login.failed",
            request=request,
            actor_label=username,
            subject=username or "unknown person",
            detail={"reason": "passwords_off"},
        )
        return refusal_page(request, NotPermitted(passwords_off_sentence(), code="passwords_off"))


def passwords_off_sentence() -> str:
    if sign_on_enabled():
        return _("Passwords are switched off here: sign in with %(provider)s.") % {"provider": provider_name()}
    return _("Passwords are switched off here and no single sign-on is set up: ask your administrator.")


def login_choices(request: HttpRequest) -> dict[str, Any]:
    """For the login page: whether passwords are on, and the provider to sign in with (None when there is none)."""
    return {
        "passwords_on": passwords_allowed(),
        "sign_on": {"name": provider_name()} if sign_on_enabled() else None,
        "passwords_off_sentence": "" if passwords_allowed() else passwords_off_sentence(),
    }
