"""A sponsor's private link, made or revoked from the Sponsors page (the URL is shown once, to copy)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.crm.models import Contact
from referly.errors import NotFound, ReferlyError
from referly.portal.links import create_sponsor_link, revoke_sponsor_links
from referly.web.pages import actor, page


def _contact(contact_id: int) -> Contact:
    found = Contact.objects.select_related("account").filter(pk=contact_id, erased_at__isnull=True).first()
    if found is None:
        raise NotFound(f"No contact {contact_id}", field="contact")
    return found


def _back(request: HttpRequest, contact_id: int) -> HttpResponse:
    return redirect(reverse("web:sponsors") + f"?{request.POST.get('query', '')}#sponsor-{contact_id}")


@require_POST
@page(Permission.ACT)
def make_link(request: HttpRequest, contact_id: int) -> HttpResponse:
    sponsor = _contact(contact_id)
    try:
        with transaction.atomic():
            made, url = create_sponsor_link(sponsor, 30, timezone.now(), actor(request).teammate())
    except ReferlyError as exc:
        messages.error(request, exc.sentence)
        return _back(request, contact_id)
    request.session["sponsor_link"] = {"contact": contact_id, "url": url, "until": f"{made.expires_at:%Y-%m-%d}"}
    return _back(request, contact_id)


@require_POST
@page(Permission.ACT)
def revoke_link(request: HttpRequest, contact_id: int) -> HttpResponse:
    sponsor = _contact(contact_id)
    with transaction.atomic():
        revoke_sponsor_links(sponsor, timezone.now())
    messages.success(request, _("%(name)s's sponsor link no longer works.") % {"name": sponsor.name})
    return _back(request, contact_id)
