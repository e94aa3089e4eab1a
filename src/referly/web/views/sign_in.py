"""Logging in: the password, then (when the login has an authenticator) a code from it or a recovery code.

Between the two steps the session holds only who is half logged in; a wrong code counts as a failed login
toward the lockout, and the configured number of wrong codes (REFERLY_LOGIN_FAILURES) ends the half-logged-in
session: the password is asked again.
"""

from __future__ import annotations

import time
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from axes.helpers import get_lockout_response  # type: ignore[import-untyped]
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from referly import config
from referly.access import second_factor

PENDING = "referly_second_step"
# The second step must follow the password soon: a half-logged-in session left open is not kept.
PENDING_SECONDS = 5 * 60


class PasswordStep(LoginView):
    """Django's login form; a login with an authenticator goes on to the code instead of being logged in."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not (second_factor.is_local(user) and second_factor.is_enrolled(user)):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
            "next": self.get_success_url(),
            "wrong": 0,
            "since": time.time(),
        }
        return redirect("web:login_code")


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def code_step(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or one of the recovery codes."""
    pending: dict[str, Any] | None = request.session.get(PENDING)
    if not pending or time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        if request.method == "POST":
            messages.error(request, _("Log in again: the code was not given in time."))
        return redirect("web:login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("web:login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        request.session.pop(PENDING, None)
        locked: HttpResponse = get_lockout_response(request, None, credentials)
        return locked
    if request.method != "POST":
        return _code_page(request)
    with transaction.atomic():
        checked = second_factor.check(user, request.POST.get("code", ""), request=request)
    if checked.accepted:
        return _logged_in(request, user, pending, checked)
    if checked.throttled:
        wait = ngettext(
            "Too many wrong codes in a row: wait %(n)s second before the next one.",
            "Too many wrong codes in a row: wait %(n)s seconds before the next one.",
            checked.wait_seconds,
        ) % {"n": checked.wait_seconds}
        return _code_page(request, wait)
    pending["wrong"] = int(pending["wrong"]) + 1
    request.session[PENDING] = pending
    # The lockout counts it as a failed login (the trail already has it as otp.failed, not as a wrong password).
    AxesProxyHandler.user_login_failed(__name__, credentials, request)
    limit = config.LOGIN_FAILURES.count("attempts")
    if pending["wrong"] >= limit or getattr(request, "axes_locked_out", False):
        request.session.pop(PENDING, None)
        messages.error(request, _("Too many wrong codes: log in again with your password."))
        return redirect("web:login")
    left = limit - pending["wrong"]
    refused = ngettext(
        "This code is not accepted. %(n)s try left before you must log in again.",
        "This code is not accepted. %(n)s tries left before you must log in again.",
        left,
    ) % {"n": left}
    return _code_page(request, refused)


def _code_page(request: HttpRequest, error: str = "") -> HttpResponse:
    return render(request, "web/login_code.html", {"error": error})


def _logged_in(
    request: HttpRequest, user: User, pending: dict[str, Any], checked: second_factor.CodeCheck
) -> HttpResponseRedirect:
    device_model = StaticDevice if checked.recovery_used else TOTPDevice
    user.otp_device = device_model.objects.filter(user=user, confirmed=True).first()  # type: ignore[attr-defined]
    request.session.pop(PENDING, None)
    login(request, user, backend=str(pending["backend"]))  # django-otp marks the session verified by that device
    if user.otp_device is not None:  # type: ignore[attr-defined]
        django_otp.login(request, user.otp_device)  # type: ignore[attr-defined]
    if checked.recovery_used:
        messages.warning(
            request,
            ngettext(
                "You logged in with a recovery code: it cannot be used again. %(n)s recovery code is left.",
                "You logged in with a recovery code: it cannot be used again. %(n)s recovery codes are left.",
                checked.recovery_left,
            )
            % {"n": checked.recovery_left},
        )
    return HttpResponseRedirect(str(pending["next"]))
