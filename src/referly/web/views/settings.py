"""Settings (admins): the effective scoring settings and script templates, users, roles and API tokens."""

from __future__ import annotations

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
from referly.errors import ReferlyError
from referly.outreach.scripts import template_folders
from referly.scoring.config import load_settings
from referly.web import wording
from referly.web.pages import actor, page


@page(Permission.ADMINISTER)
def settings_page(request: HttpRequest) -> HttpResponse:
    return settings_view(request)


def settings_view(
    request: HttpRequest, error: str = "", failed_user: int | None = None, status: int = 200
) -> HttpResponse:
    scoring = load_settings()
    users = list(User.objects.select_related("member").order_by("username"))
    tokens = list(ApiToken.objects.filter(revoked_at__isnull=True).select_related("user").order_by("user__username"))
    return render(
        request,
        "web/settings.html",
        {
            "section": "settings",
            "scoring": scoring,
            "scoring_file": config.SCORING.value() or "",
            "scoring_variable": config.SCORING.name,
            "templates_variable": config.TEMPLATES.name,
            "templates": templates(),
            "users": [{"user": u, "role": access.role_of(u)} for u in users],
            "roles": [(r.value, wording.ROLE_LABELS[r.value]) for r in Role],
            "tokens": tokens,
            "error": error,
            "failed_user": failed_user,
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
