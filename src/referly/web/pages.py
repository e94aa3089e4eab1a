"""What every page shares: login required, the actor, and errors rendered as a page, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from referly.access.roles import Permission
from referly.access.services import Actor, actor_for
from referly.errors import ReferlyError

View = TypeVar("View", bound=Callable[..., HttpResponse])


def page(permission: Permission = Permission.READ) -> Callable[[View], View]:
    """A page for logged-in users whose role grants ``permission``; ``request.actor`` is who acts."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            acting = actor_for(request.user)  # type: ignore[arg-type]
            request.actor = acting  # type: ignore[attr-defined]
            try:
                acting.require(permission)
                return view(request, *args, **kwargs)
            except ReferlyError as exc:
                return error_page(request, exc)

        return login_required(inner)  # type: ignore[return-value]

    return decorate


def actor(request: HttpRequest) -> Actor:
    found: Actor = request.actor  # type: ignore[attr-defined]
    return found


def error_page(request: HttpRequest, exc: ReferlyError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.http_status)
