"""Notifications: what needs me, newest first; mark one or all read. Everyone sees only their own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from referly.notices.queries import mine, my_notice, unread_count
from referly.notices.services import mark_read
from referly.web.navigation import page_of
from referly.web.pages import actor, page

PAGE_SIZE = 30


@page()
def notices(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    listing = page_of(request, mine(who), PAGE_SIZE)
    return render(
        request,
        "web/notices.html",
        {"section": "notices", "listing": listing, "notices": list(listing.object_list), "unread": unread_count(who)},
    )


@require_POST
@page()
def read_one(request: HttpRequest, notice_id: int) -> HttpResponse:
    who = actor(request)
    notice = my_notice(who, notice_id)
    mark_read(mine(who).filter(pk=notice.pk), timezone.now())
    if request.POST.get("open") and notice.url.startswith("/") and not notice.url.startswith("//"):
        return redirect(notice.url)
    return redirect(reverse("web:notices"))


@require_POST
@page()
def read_all(request: HttpRequest) -> HttpResponse:
    mark_read(mine(actor(request)), timezone.now())
    return redirect(reverse("web:notices"))
