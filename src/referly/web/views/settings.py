"""Settings (admins): the effective scoring settings and script templates, users, roles and API tokens."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly import config
from referly.access import services as access
from referly.access.models import ApiToken
from referly.access.roles import Permission, Role
from referly.capture.models import Source
from referly.connect.models import Subscription
from referly.errors import ReferlyError
from referly.outreach.scripts import template_folders
from referly.scoring.config import load_settings
from referly.web import wording
from referly.web.pages import actor, page


@page(Permission.ADMINISTER)
def settings_page(request: HttpRequest) -> HttpResponse:
    return settings_view(request)


def settings_view(
    request: HttpRequest,
    error: str = "",
    failed_user: int | None = None,
    status: int = 200,
    scoring_text: str | None = None,
    scoring_error: str = "",
) -> HttpResponse:
    file = config.SCORING.path()
    try:
        scoring = load_settings()
    except ReferlyError as exc:  # a missing or broken file: show the defaults, and why they are shown
        scoring = load_settings(configured=False)
        if file is not None and file.exists():  # not yet created: the first save creates it
            scoring_error = scoring_error or str(exc)
    if scoring_text is None:
        scoring_text = file.read_text(encoding="utf-8", errors="replace") if file and file.is_file() else ""
    users = list(User.objects.select_related("member").order_by("username"))
    tokens = list(ApiToken.objects.filter(revoked_at__isnull=True).select_related("user").order_by("user__username"))
    return render(
        request,
        "web/settings.html",
        {
            "section": "settings",
            "scoring": scoring,
            "scoring_file": file or "",
            "scoring_variable": config.SCORING.name,
            "templates_variable": config.TEMPLATES.name,
            "templates": templates(),
            "users": [{"user": u, "role": access.role_of(u)} for u in users],
            "roles": [(r.value, wording.ROLE_LABELS[r.value]) for r in Role],
            "tokens": tokens,
            "error": error,
            "failed_user": failed_user,
            "scoring_text": scoring_text,
            "scoring_error": scoring_error,
            "disabled_webhooks": Subscription.objects.filter(active=False).count(),
            "failing_sources": Source.objects.exclude(last_error="").count(),
        },
        status=status,
    )


def templates() -> list[dict[str, Any]]:
    """Each template folder, in lookup order, with its files per language."""
    found = []
    for folder in template_folders():
        files = sorted(str(p.relative_to(folder)) for p in Path(folder).glob("*/*") if p.is_file())
        found.append({"folder": str(folder), "files": files})
    return found


@require_POST
@page(Permission.ADMINISTER)
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        with transaction.atomic():
            changed = access.change_role(user_id, request.POST.get("role", ""))
    except ReferlyError as exc:
        return settings_view(request, str(exc), user_id, status=exc.http_status)
    messages.success(
        request, _("%(user)s is now %(role)s.") % {"user": changed.username, "role": access.role_of(changed)}
    )
    return redirect(reverse("web:settings") + "#users")


@require_POST
@page(Permission.ADMINISTER)
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    with transaction.atomic():
        token = access.revoke_token(token_id, actor(request), timezone.now())
    messages.success(request, _("Token %(name)s is revoked.") % {"name": token.name})
    return redirect(reverse("web:settings") + "#tokens")


@require_POST
@page(Permission.ADMINISTER)
def save_scoring(request: HttpRequest) -> HttpResponse:
    """Check the scoring overrides as the next run would read them, then replace the file in one step."""
    target = config.SCORING.path()
    text = request.POST.get("text", "").replace("\r\n", "\n")
    if target is None:
        return settings_view(request, status=409, scoring_text=text, scoring_error=_("No settings file is configured."))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, suffix=".toml", delete=False
        ) as draft:
            draft.write(text)
        try:
            load_settings(Path(draft.name), shown_as=str(target))
            os.replace(draft.name, target)
        finally:
            Path(draft.name).unlink(missing_ok=True)
    except ReferlyError as exc:
        return settings_view(request, status=422, scoring_text=text, scoring_error=exc.message)
    except OSError as exc:
        error = _("Cannot write %(file)s: %(reason)s") % {"file": target, "reason": exc.strerror or exc}
        return settings_view(request, status=503, scoring_text=text, scoring_error=error)
    messages.success(
        request, _("Scoring settings saved to %(file)s: the next scoring run uses them.") % {"file": target}
    )
    return redirect(reverse("web:settings") + "#scoring")
