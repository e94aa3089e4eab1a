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
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from referly import config
from referly.access import services as access
from referly.access.models import ApiToken
from referly.access.roles import Permission, Role
from referly.access.token_expiry import EXPIRING_DAYS, UNUSED_DAYS, token_health
from referly.audit.trail import record
from referly.capture.models import Source
from referly.connect.models import Subscription
from referly.errors import ReferlyError
from referly.outreach.scripts import template_folders
from referly.scoring.config import defaults_document, settings_in_force
from referly.scoring.models import SettingsSource
from referly.scoring.settings_document import apply_form, form_fields, to_toml
from referly.scoring.settings_store import current_document, document_from_text, history, save_version
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
    scoring_posted: dict[str, str] | None = None,
    scoring_errors: dict[str, str] | None = None,
) -> HttpResponse:
    file = config.SCORING.path()
    try:
        in_force = settings_in_force()
    except ReferlyError as exc:  # a broken file: show the defaults, and why they are shown
        in_force = settings_in_force(configured=False)
        if file is not None and file.exists():
            scoring_error = scoring_error or str(exc)
    scoring = in_force.settings
    icp_from = in_force.version.icp_from if in_force.version else None
    if scoring_text is None:
        scoring_text = to_toml(scoring.raw)
    users = list(User.objects.select_related("member").order_by("username"))
    now = timezone.now()
    tokens = [
        {"token": t, "health": token_health(t.created_at, t.last_used_at, t.expires_at, now)}
        for t in ApiToken.objects.filter(revoked_at__isnull=True).select_related("user").order_by("user__username")
    ]
    return render(
        request,
        "web/settings.html",
        {
            "section": "settings",
            "scoring": scoring,
            "scoring_origin": in_force.origin,
            "scoring_version": in_force.version,
            "scoring_file": file or "",
            "scoring_variable": config.SCORING.name,
            "scoring_groups": scoring_groups(scoring.raw, scoring_posted or {}, scoring_errors or {}),
            "scoring_failed": bool(scoring_errors),
            "scoring_history": [_version_row(v) for v in history()],
            "icp_from": _version_row(icp_from) if icp_from else None,
            "half_life_from": _half_life_from(scoring.strength.half_life_days),
            "templates_variable": config.TEMPLATES.name,
            "templates": templates(),
            "users": [{"user": u, "role": access.role_of(u)} for u in users],
            "roles": [(r.value, wording.ROLE_LABELS[r.value]) for r in Role],
            "tokens": tokens,
            "unused_days": UNUSED_DAYS,
            "expiring_days": EXPIRING_DAYS,
            "error": error,
            "failed_user": failed_user,
            "scoring_text": scoring_text,
            "scoring_error": scoring_error,
            "disabled_webhooks": Subscription.objects.filter(active=False).count(),
            "failing_sources": Source.objects.exclude(last_error="").count(),
        },
        status=status,
    )


def scoring_groups(document: dict[str, Any], posted: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The form's fields by table, each with its label, the value shown (as posted after a refusal) and its error."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in form_fields(document):
        groups.setdefault(f.group, []).append(
            {
                "path": f.path,
                "id": "scoring-" + f.path.replace(".", "-"),
                "label": _label(f.path, f.name),
                "text": posted.get(f.path, f.text),
                "kind": f.kind,
                "error": errors.get(f.path, ""),
            }
        )
    return [{"key": key, "title": GROUP_TITLES[key], "fields": fields} for key, fields in groups.items()]


GROUP_TITLES = {
    "icp": _l("Ideal customer profile: tiers"),
    "criteria": _l("Ideal customer profile: criteria"),
    "strength": _l("Relationship strength"),
    "weights": _l("What one touch of each kind is worth"),
    "sponsor": _l("Sponsor score weights"),
    "gates": _l("Gates and ask caps"),
}
FIELD_LABELS = {
    "icp.tier_a": _l("Tier A from (fit 0-100)"),
    "icp.tier_b": _l("Tier B from (fit 0-100)"),
    "strength.half_life_days": _l("Half-life (days)"),
    "strength.saturation": _l("Saturation"),
    "strength.reciprocity_floor": _l("Reciprocity floor (0-1)"),
    "gates.detractor_max_score": _l("Detractor: NPS answer at most"),
    "gates.asks_per_quarter": _l("Asks per contact a quarter, at most"),
    "gates.account_asks_per_quarter": _l("Asks per account a quarter, at most"),
    "gates.cooldown_days": _l("Days without an ask after a decline"),
    "gates.escalation_days": _l("Days an escalation blocks asks"),
}


def _label(path: str, name: str) -> str:
    if path in FIELD_LABELS:
        return str(FIELD_LABELS[path])
    if path.startswith("icp.criteria."):
        part = path.split(".")[3:]
        words = {
            "weight": _("%(name)s: weight"),
            "any_of": _("%(name)s: values, separated by commas"),
            "between": _("%(name)s: from") if part[-1] == "0" else _("%(name)s: to"),
        }[part[0]]
        return words % {"name": name}
    return name


def _half_life_from(half_life_days: float) -> dict[str, Any] | None:
    """The newest tuning of the half-life on the team's own log, while its half-life is still the one in force."""
    from referly.scoring.models import ScoringSettingsVersion

    versions = ScoringSettingsVersion.objects.filter(source=SettingsSource.TIE_TUNING)
    tuned = versions.order_by("-changed_at", "-pk").first()
    if tuned is None or not tuned.document:
        return None
    if float(tuned.document.get("strength", {}).get("half_life_days", -1)) != float(half_life_days):
        return None
    return _version_row(tuned)


def _version_row(version: Any) -> dict[str, Any]:
    labels = {
        SettingsSource.FORM: _("Settings page form"),
        SettingsSource.TEXT: _("Settings page TOML text"),
        SettingsSource.ICP_SUGGEST: _("referly icp suggest --apply"),
        SettingsSource.TIE_TUNING: _("referly evaluate ties --tune --apply"),
        SettingsSource.FILE: _("back to the file or the defaults"),
    }
    return {
        "pk": version.pk,
        "who": version.changed_by,
        "when": version.changed_at,
        "source": labels.get(version.source, version.source),
        "note": version.note,
    }


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
            was = [access.role_of(u).value for u in User.objects.filter(pk=user_id)]
            changed = access.change_role(user_id, request.POST.get("role", ""))
            to = access.role_of(changed).value
            record("role.changed", request=request, subject=changed.username, detail={"from": was[0], "to": to})
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
        token = access.revoke_token(token_id, actor(request), timezone.now(), request=request)
    messages.success(request, _("Token %(name)s is revoked.") % {"name": token.name})
    return redirect(reverse("web:settings") + "#tokens")


@require_POST
@page(Permission.ADMINISTER)
def save_scoring(request: HttpRequest) -> HttpResponse:
    """Check the whole settings document as the next run would read it, then store it as a new version.

    ``form`` says what was posted: ``fields`` (the structured form), ``text`` (the TOML text) or ``file`` (hand
    the settings back to the REFERLY_SCORING file, or the defaults). Nothing is stored unless every value checks.
    """
    kind = request.POST.get("form", "fields")
    who = request.user.get_username()
    now = timezone.now()
    note = request.POST.get("note", "").strip()[:500]
    if kind == "file":
        with transaction.atomic():
            save_version(None, changed_by=who, source=SettingsSource.FILE, now=now, note=note)
            record("settings.changed", request=request, subject="scoring", detail={"via": "file", "note": note})
        messages.success(request, _("The scoring settings are read from the file or the defaults again."))
        return redirect(reverse("web:settings") + "#scoring")
    try:
        base = current_document()
    except ReferlyError:
        base = defaults_document()
    if kind == "text":
        text = request.POST.get("text", "").replace("\r\n", "\n")
        try:
            with transaction.atomic():
                save_version(document_from_text(text), changed_by=who, source=SettingsSource.TEXT, now=now, note=note)
                record("settings.changed", request=request, subject="scoring", detail={"via": "text", "note": note})
        except ReferlyError as exc:
            return settings_view(request, status=422, scoring_text=text, scoring_error=exc.message)
    else:
        posted = {
            k: str(v) for k, v in request.POST.items() if k.startswith(("icp.", "strength.", "sponsor.", "gates."))
        }
        document, errors = apply_form(base, posted)
        if errors:
            return settings_view(request, status=422, scoring_posted=posted, scoring_errors=errors)
        with transaction.atomic():
            save_version(document, changed_by=who, source=SettingsSource.FORM, now=now, note=note)
            record("settings.changed", request=request, subject="scoring", detail={"via": "form", "note": note})
    messages.success(request, _("Scoring settings saved: the next scoring run uses them."))
    return redirect(reverse("web:settings") + "#scoring")
