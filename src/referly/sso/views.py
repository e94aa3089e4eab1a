"""The two pages of single sign-on: the start (off to the provider) and the callback (back, checked, in)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from referly.audit.trail import record
from referly.errors import ReferlyError
from referly.sso.backend import FIXED
from referly.sso.discovery import endpoints
from referly.sso.options import SignOnOptions, options, provider_name
from referly.sso.refusals import Refused, refused

# What the start asks of the provider besides mozilla-django-oidc's defaults: PKCE (RFC 7636) as well as a nonce.
START: dict[str, object] = {**FIXED, "OIDC_USE_PKCE": True, "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256"}


def refusal_page(request: HttpRequest, error: ReferlyError) -> HttpResponse:
    """The page of a refused sign-in: what happened, in a sentence, and the way back to the login page."""
    return render(
        request,
        "sso/refused.html",
        {"sentence": error.message, "code": error.code, "provider": provider_name()},
        status=error.http_status,
    )


class Start(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Off to the provider's login page, with a fresh state, nonce and PKCE verifier kept in the session."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the parent reads the endpoint from Django's settings; it is discovered here

    def get_settings(self, attr: str, *args: Any) -> Any:
        if attr == "OIDC_RP_SCOPES":
            return self.options.scopes
        return START.get(attr, args[0] if args else None)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.options: SignOnOptions = options()
            self.OIDC_OP_AUTH_ENDPOINT = endpoints(self.options.issuer).authorization
        except ReferlyError as exc:
            return refusal_page(request, exc)
        self.OIDC_RP_CLIENT_ID = self.options.client_id
        response: HttpResponse = super().get(request)
        return response


start = never_cache(Start.as_view())


@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """Back from the provider: the state must be one this browser started and not yet used; then the code is
    exchanged, the ID token checked and the person signed in. Every refusal is a page and an audit event."""
    try:
        chosen = options()
        user = _signed_in(request, chosen)
    except Refused as exc:
        record(
            "sso.refused",
            request=request,
            actor_label=exc.email,
            subject=exc.email or "unknown person",
            detail={"reason": exc.code, **({"detail": exc.detail} if exc.detail else {})},
        )
        return refusal_page(request, exc)
    except ReferlyError as exc:
        return refusal_page(request, exc)
    auth.login(request, user)
    target = request.session.pop("oidc_login_next", None)
    return HttpResponseRedirect(target or resolve_url(settings.LOGIN_REDIRECT_URL))


def _signed_in(request: HttpRequest, chosen: SignOnOptions) -> User:
    error = request.GET.get("error")
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states")
    states = states if isinstance(states, dict) else {}
    started = states.pop(state, None) if state else None
    request.session["oidc_states"] = states  # a state is good once: a replayed callback finds it gone
    if error:
        raise refused("provider_error", detail=error[:100])
    if not state or "code" not in request.GET:
        raise refused("missing_state")
    if not isinstance(started, dict):
        raise refused("unknown_state")
    issuer = request.GET.get("iss")
    if issuer is not None and issuer != chosen.issuer:  # RFC 9207: the answer names who sent it
        raise refused("wrong_issuer", detail=issuer[:200])
    request.session.save()
    with transaction.atomic():
        user = auth.authenticate(request, nonce=started.get("nonce"), code_verifier=started.get("code_verifier"))
    if not isinstance(user, User):
        raise refused("invalid_token")
    return user
