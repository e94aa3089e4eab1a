"""The pages without a login: a sponsor's page (``/p/TOKEN/``) and a recommended person's answer (``/o/TOKEN/``).

Every request re-checks its link. Any refusal renders the same page with the same status, so a visitor can
tell neither a forged link from an expired one nor a stranger's address from a known one. Forms carry CSRF
tokens; posts are rate limited per address and per link (django-ratelimit, counted in the database).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit import ALL
from django_ratelimit.decorators import ratelimit

from referly.errors import InvalidInput
from referly.kit.client import client_ip
from referly.portal import links, services, trail
from referly.portal.models import Answer, SponsorLink
from referly.portal.queries import targets, team_name, their_referrals, their_result

View = Callable[..., HttpResponse]
POSTS = "20/m"  # a sponsor answers a few targets a minute; a script posting 100 is stopped after 20
VISITS = "60/m"


def limited(key: Callable[[str, HttpRequest], str], rate: str, method: Any = ALL) -> Callable[[View], View]:
    """django-ratelimit's decorator, typed: over ``rate``, the view is not called and ``too_many`` answers."""
    return cast(Callable[[View], View], ratelimit(key=key, rate=rate, method=method, block=True))


def by_address(group: str, request: HttpRequest) -> str:
    del group
    return client_ip(request) or "unknown"


def by_link(group: str, request: HttpRequest) -> str:
    del group
    return str((request.resolver_match.kwargs if request.resolver_match else {}).get("token", ""))[:120]


def too_many(request: HttpRequest, exception: Exception) -> HttpResponse:
    del exception
    if request.path.startswith(("/p/", "/o/")):
        trail.note_refusal(request, by_link("", request), "rate_limited")
    return _page(request, "portal/refused.html", {"reason": "busy"}, status=429)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the address: it never goes to another site. Not "no-referrer": Chromium then posts
    # forms with "Origin: null", which the CSRF check refuses.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def refused(request: HttpRequest) -> HttpResponse:
    trail.note_refusal(request, by_link("", request))
    return _page(request, "portal/refused.html", {"reason": "link"}, status=404)


def _team(link: SponsorLink) -> str:
    return team_name(services.owner_of(link))


def _sponsor_context(link: SponsorLink, token: str, **extra: Any) -> dict[str, Any]:
    sponsor = link.contact
    return {
        "token": token,
        "first_name": sponsor.first_name or sponsor.name,
        "team": _team(link),
        "result": their_result(sponsor),
        "targets": targets(sponsor, link.language),
        "referrals": their_referrals(sponsor),
        "answers": Answer.choices,
        "values": {},
        "error": None,
        **extra,
    }


@limited(by_address, VISITS)
@require_http_methods(["GET", "HEAD"])
def sponsor_page(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    with transaction.atomic():
        try:
            link = links.sponsor_link(token, now)
        except links.LinkRefused:
            return refused(request)
        SponsorLink.objects.filter(pk=link.pk).update(last_used_at=now)
        trail.note("portal.opened", request, link, link.contact.name)
    translation.activate(link.language)
    return _page(request, "portal/sponsor.html", _sponsor_context(link, token, done=request.GET.get("done", "")))


@limited(by_address, POSTS, "POST")
@limited(by_link, POSTS, "POST")
@require_POST
def answer_target(request: HttpRequest, token: str, account_id: int) -> HttpResponse:
    now = timezone.now()
    try:
        with transaction.atomic():
            link = links.sponsor_link(token, now)
            services.answer(link, account_id, request.POST.get("answer", ""), now)
            said = {"account": account_id, "answer": request.POST["answer"]}
            trail.note("portal.answered", request, link, link.contact.name, **said)
    except (links.LinkRefused, InvalidInput):
        return refused(request)
    return redirect(f"/p/{token}/?done=answer#target-{account_id}")


@limited(by_address, POSTS, "POST")
@limited(by_link, POSTS, "POST")
@require_POST
def recommend(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    form = {k: str(request.POST.get(k, "")) for k in services.LIMITS}
    try:
        with transaction.atomic():
            link = links.sponsor_link(token, now)
            translation.activate(link.language)  # the refusals are worded for the sponsor
            made = services.recommend(link, form, now, transaction.on_commit)
            trail.note("portal.recommended", request, link, link.contact.name, referral=made.pk)
    except links.LinkRefused:
        return refused(request)
    except services.AlreadyAnswered:
        pass  # answered as a success: see services.recommend
    except InvalidInput as exc:
        with transaction.atomic():
            link = links.sponsor_link(token, now)
        translation.activate(link.language)
        context = _sponsor_context(link, token, values=form, error=exc)
        return _page(request, "portal/sponsor.html", context, status=422)
    return redirect(f"/p/{token}/?done=recommend#recommend")


@limited(by_address, POSTS, "POST")
@limited(by_link, POSTS, "POST")
@require_POST
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        with transaction.atomic():
            link = links.sponsor_link(token, now)
            services.opt_out(link, now)
            trail.note("portal.opted_out", request, link, link.contact.name)
    except links.LinkRefused:
        return refused(request)
    translation.activate(link.language)
    return _page(request, "portal/done.html", {"what": "opted_out", "team": _team(link)})


@limited(by_address, VISITS)
@limited(by_address, POSTS, "POST")
@limited(by_link, POSTS, "POST")
@require_http_methods(["GET", "HEAD", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """The recommended person's page: a GET only shows the question (mail scanners open links); a POST answers."""
    now = timezone.now()
    try:
        with transaction.atomic():
            found = links.opt_in_of(token, now)
            language = found.language
            referral = found.referral
            if request.method == "POST":
                choice = request.POST.get("answer", "")
                if choice == "yes":
                    services.confirm(found, now, transaction.on_commit)
                elif choice == "no":
                    services.decline(found, now)
                else:
                    raise links.LinkRefused("No answer")
            event = {"yes": "optin.accepted", "no": "optin.declined"}.get(choice) if request.method == "POST" else ""
            trail.note(event or "optin.opened", request, found, f"referral {referral.pk}")
    except links.LinkRefused:
        return refused(request)
    translation.activate(language)
    if request.method == "POST":
        return _page(request, "portal/done.html", {"what": "confirmed" if choice == "yes" else "declined"})
    return _page(
        request,
        "portal/consent.html",
        {
            "token": token,
            "name": found.name,
            "sponsor": referral.referrer_contact.name,
            "sponsor_company": referral.referrer_account.name,
            "team": team_name(referral.owner),
        },
    )
