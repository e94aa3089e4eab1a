"""The team (admins): each teammate with their e-mail, the login that is them and its role."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access import services as access
from referly.access.roles import Permission, Role
from referly.audit.trail import record
from referly.crm.models import Teammate
from referly.errors import InvalidInput, NotFound, ReferlyError
from referly.web import wording
from referly.web.navigation import page_of
from referly.web.pages import page

PAGE_SIZE = 50


@dataclass
class Outcome:
    """What the last form on the page did: a refusal to show next to its field, or a password to show once."""

    teammate_id: int | None = None
    where: str = ""  # "email", "login", "link" or "role"
    error: str = ""
    typed: dict[str, str] = field(default_factory=dict)
    password: str = ""
    login: str = ""


@page(Permission.ADMINISTER)
def team(request: HttpRequest) -> HttpResponse:
    return team_view(request, Outcome())


def team_view(request: HttpRequest, outcome: Outcome, status: int = 200) -> HttpResponse:
    listing = page_of(
        request, Teammate.objects.select_related("user", "user__member").order_by("name", "id"), PAGE_SIZE
    )
    rows = []
    unplaced = outcome.error  # a refusal about a row this page does not show, or a form it does not have
    for mate in listing.object_list:
        login = mate.user
        if mate.pk == outcome.teammate_id and (outcome.where in ("email", "role") or login is None):
            unplaced = ""
        rows.append(
            {
                "teammate": mate,
                "login": login,
                "role": access.role_of(login).value if login is not None else "",
                "outcome": outcome if outcome.teammate_id == mate.pk else None,
            }
        )
    return render(
        request,
        "web/team.html",
        {
            "section": "settings",
            "rows": rows,
            "listing": listing,
            "query": "",
            "unlinked": list(User.objects.filter(teammate__isnull=True).order_by("username")),
            "roles": [(r.value, wording.ROLE_LABELS[r.value]) for r in Role],
            "outcome": outcome,
            "unplaced": unplaced,
            "here": request.get_full_path() if request.method == "GET" else reverse("web:team"),
        },
        status=status,
    )


def _teammate(teammate_id: int) -> Teammate:
    found = Teammate.objects.filter(pk=teammate_id).first()
    if found is None:
        raise NotFound(_("No teammate with id %(id)s") % {"id": teammate_id})
    return found


def _back(teammate_id: int) -> HttpResponse:
    return redirect(reverse("web:team") + f"#teammate-{teammate_id}")


@require_POST
@page(Permission.ADMINISTER)
def save_email(request: HttpRequest, teammate_id: int) -> HttpResponse:
    typed = request.POST.get("email", "")
    try:
        with transaction.atomic():
            mate = access.set_teammate_email(_teammate(teammate_id).pk, typed)
    except ReferlyError as exc:
        refused = Outcome(teammate_id, "email", exc.sentence, {"email": typed})
        return team_view(request, refused, status=exc.http_status)
    messages.success(
        request,
        _("%(name)s's e-mail is now %(email)s.") % {"name": mate.name, "email": mate.email}
        if mate.email
        else _("%(name)s has no e-mail now.") % {"name": mate.name},
    )
    return _back(mate.pk)


@require_POST
@page(Permission.ADMINISTER)
def create_login(request: HttpRequest, teammate_id: int) -> HttpResponse:
    """A login for the teammate, with their e-mail (typed here when they have none); its password is shown
    once, on this answer only (never stored in a message or the session)."""
    role = request.POST.get("role", "")
    typed = request.POST.get("email", "")
    try:
        mate = _teammate(teammate_id)
        with transaction.atomic():
            if typed.strip() and not mate.email:
                mate = access.set_teammate_email(mate.pk, typed)
            if not mate.email:
                raise InvalidInput(
                    _("%(name)s has no e-mail yet: type the one they log in with") % {"name": mate.name},
                    field="email",
                    code="teammate_email_missing",
                )
            user, password = access.create_user(mate.email, role, teammate=mate.email)
            record("admin.login_created", request=request, subject=user.username, detail={"role": role})
    except ReferlyError as exc:
        refused = Outcome(teammate_id, "login", exc.sentence, {"email": typed, "role": role})
        return team_view(request, refused, status=exc.http_status)
    return team_view(request, Outcome(mate.pk, "login", password=password, login=user.username))


@require_POST
@page(Permission.ADMINISTER)
def link_login(request: HttpRequest, teammate_id: int) -> HttpResponse:
    chosen = request.POST.get("user", "")
    try:
        mate = _teammate(teammate_id)
        user = User.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if user is None:
            raise NotFound(_("Choose a login to link"), field="user")
        with transaction.atomic():
            mate = access.link_login(user, mate)
    except ReferlyError as exc:
        return team_view(request, Outcome(teammate_id, "link", exc.sentence, {"user": chosen}), status=exc.http_status)
    messages.success(request, _("%(login)s now logs in as %(name)s.") % {"login": user.username, "name": mate.name})
    return _back(mate.pk)


@require_POST
@page(Permission.ADMINISTER)
def change_role(request: HttpRequest, teammate_id: int) -> HttpResponse:
    role = request.POST.get("role", "")
    try:
        mate = _teammate(teammate_id)
        if mate.user_id is None:
            raise NotFound(_("%(name)s has no login yet") % {"name": mate.name})
        with transaction.atomic():
            was = [access.role_of(u).value for u in User.objects.filter(pk=mate.user_id)]
            changed = access.change_role(mate.user_id, role)
            to = access.role_of(changed).value
            record("role.changed", request=request, subject=changed.username, detail={"from": was[0], "to": to})
    except ReferlyError as exc:
        return team_view(request, Outcome(teammate_id, "role", exc.sentence, {"role": role}), status=exc.http_status)
    messages.success(
        request,
        _("%(user)s is now %(role)s.")
        % {"user": changed.username, "role": wording.ROLE_LABELS[access.role_of(changed).value]},
    )
    return _back(mate.pk)
