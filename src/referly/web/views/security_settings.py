"""Two-factor sign-in for one's own login: enrol an authenticator app, get recovery codes, turn it off."""

from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from referly.access import second_factor
from referly.access.enrolment import must_enrol, requirement
from referly.access.roles import Permission
from referly.errors import ReferlyError
from referly.web.pages import actor, page
from referly.web.second_factor import forget_enrolment


@page(Permission.READ)
def two_factor(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@sensitive_post_parameters("code")
@page(Permission.READ)
def confirm(request: HttpRequest) -> HttpResponse:
    """The first code from the app turns it on; the recovery codes are shown once, on this answer only."""
    user = request.user
    try:
        with transaction.atomic():
            codes = second_factor.confirm(user, request.POST.get("code", ""), request=request)  # type: ignore[arg-type]
    except ReferlyError as exc:
        return _page(request, error=_refusal(exc), status=exc.http_status)
    forget_enrolment(request)
    device = second_factor.authenticator(user)  # type: ignore[arg-type]
    if device is not None:
        django_otp.login(request, device)  # this session has just passed the second factor
    return _codes(request, codes, first=True)


@require_POST
@sensitive_post_parameters("code")
@page(Permission.READ)
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes in place of the old ones, after a code from the app."""
    try:
        with transaction.atomic():
            codes = second_factor.new_recovery_codes(
                request.user,  # type: ignore[arg-type]
                request.POST.get("code", ""),
                request=request,
            )
    except ReferlyError as exc:
        return _page(request, error=_refusal(exc), failed="recovery", status=exc.http_status)
    return _codes(request, codes, first=False)


@require_POST
@sensitive_post_parameters("code")
@page(Permission.READ)
def disable(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            second_factor.disable(request.user, request.POST.get("code", ""), request=request)  # type: ignore[arg-type]
    except ReferlyError as exc:
        return _page(request, error=_refusal(exc), failed="disable", status=exc.http_status)
    forget_enrolment(request)
    messages.success(request, _("Two-factor sign-in is off: your password alone logs you in."))
    return redirect("web:two_factor")


def _page(request: HttpRequest, *, error: str = "", failed: str = "enrol", status: int = 200) -> HttpResponse:
    user = request.user
    local = second_factor.is_local(user)  # type: ignore[arg-type]
    enrolled = second_factor.is_enrolled(user)  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "section": "settings",
        "local": local,
        "enrolled": enrolled,
        "required": must_enrol(requirement(settings.REQUIRE_2FA), actor(request).role, local=local, enrolled=False),
        "recovery_left": second_factor.recovery_left(user) if enrolled else 0,  # type: ignore[arg-type]
        "error": error,
        "failed": failed,
    }
    if local and not enrolled:
        with transaction.atomic():
            context["enrolment"] = second_factor.enrolment(user)  # type: ignore[arg-type]
    return render(request, "web/two_factor.html", context, status=status)


def _codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    return render(
        request,
        "web/recovery_codes.html",
        {"section": "settings", "codes": codes, "first": first, "next": request.POST.get("next", "")},
    )


def _refusal(exc: ReferlyError) -> str:
    """The refusal in the reader's language: the service's sentence is English."""
    words = {
        "wrong_code": _("This code is not accepted: check the clock of your phone and try the code shown now."),
        "code_throttled": _("Too many wrong codes in a row: wait a few seconds before the next one."),
        "already_enrolled": _("Two-factor sign-in is already on."),
        "not_enrolled": _("Two-factor sign-in is not on."),
        "not_found": _("Start again: scan the new code below."),
    }
    return words.get(exc.code, str(exc))
