"""Logins, failures, lockouts and logouts, heard from Django's and django-axes' signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from referly.audit.trail import record


def logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record("login.succeeded", request=request, user=user, subject="logged in")


def logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("logout", request=request, user=user, subject="logged out")


def login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    _attempt("login.failed", request, str(credentials.get("username", "")), "wrong user name or password")


def locked_out(sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
    _attempt("login.locked", request, username or "", "locked out after repeated failures")


def _attempt(kind: str, request: HttpRequest | None, tried: str, subject: str) -> None:
    """An event about a user name typed by someone not logged in: the name is the actor and a mention."""
    tried = tried[:254]
    record(kind, request=request, user=None, actor_label=tried, subject=subject, mentions=[tried])


def connect() -> None:
    from axes.signals import user_locked_out  # type: ignore[import-untyped]

    user_logged_in.connect(logged_in, dispatch_uid="referly.audit.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="referly.audit.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="referly.audit.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="referly.audit.locked_out")
