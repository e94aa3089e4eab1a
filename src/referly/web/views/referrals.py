"""The referral pipeline: a board by stage, one referral's history, and advancing it with a note."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.access.services import Actor, require_act_for
from referly.errors import ReferlyError
from referly.referrals import queries, services
from referly.referrals.lifecycle import CLOSED, NEXT
from referly.referrals.models import Ask, Referral
from referly.web import wording
from referly.web.navigation import back_to, page_of, query_without_page
from referly.web.pages import actor, page
from referly.web.visibility import chosen_scope, owners_in, scopes

COLUMN_SIZE = 12  # cards per open column on the board; a column's own page lists them all
CLOSED_COLUMN_SIZE = 5  # the latest closed ones (won, lost and the exits)
LIST_SIZE = 50
ADVANCE_FIELDS = ("stage", "consent", "override_reason", "version")  # the move form's fields; others: stage
# What a card shows of a referral and its people: loading only these keeps the board light.
CARD_COLUMNS = (
    "id",
    "stage",
    "version",
    "owner_id",
    "attribution",
    "created_at",
    "stage_changed_at",
    *(
        f"{person}__{part}"
        for person in ("referrer_contact", "target_contact")
        for part in ("first_name", "last_name", "email")
    ),
    "referrer_account__name",
    "target_account__name",
    "owner__name",
)


@page()
def board(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    scope = chosen_scope(who, request.GET)
    found = queries.in_view(who)
    owners = owners_in(who, scope)
    if owners is not None:
        found = found.filter(owner_id__in=owners)
    counts = dict(found.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    only = request.GET.get("stage", "")
    listing = None
    columns: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    if only in wording.STAGES:
        listing = page_of(request, found.filter(stage=only), LIST_SIZE)
        columns.append(column(only, counts.get(only, 0), list(listing.object_list), who))
    else:
        newest = newest_per_stage(found)
        for stage in wording.STAGES:
            made = column(stage, counts.get(stage, 0), newest.get(stage, []), who)
            # Closed stages and exits fold into their counts, so the open pipeline fits a laptop's width.
            (closed if stage in CLOSED else columns).append(made)
    return render(
        request,
        "web/board.html",
        {
            "section": "referrals",
            "columns": columns,
            "closed": closed,
            "closed_total": sum(c["total"] for c in closed),
            "only": only if listing is not None else "",
            "listing": listing,
            "query": query_without_page(request),
            "scope": scope,
            "scopes": [(s, wording.SCOPE_LABELS[s]) for s in scopes(who)],
            "here": request.get_full_path(),
            "empty": not counts,
        },
    )


def newest_per_stage(found: QuerySet[Referral]) -> dict[str, list[Referral]]:
    """Each column's newest cards, in one query (a window per stage) rather than one query per column."""
    ranked = (
        found.only(*CARD_COLUMNS)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(place__lte=COLUMN_SIZE)
        .order_by("stage", "place")
    )
    columns: dict[str, list[Referral]] = {}
    for referral in ranked:
        if referral.stage not in CLOSED or len(columns.get(referral.stage, [])) < CLOSED_COLUMN_SIZE:
            columns.setdefault(referral.stage, []).append(referral)
    return columns


def column(stage: str, total: int, referrals: list[Referral], who: Actor) -> dict[str, Any]:
    return {
        "stage": stage,
        "label": wording.STAGE_LABELS[stage],
        "total": total,
        "more": total - len(referrals),
        "cards": [{"referral": r, "moves": moves(r, who), "prefix": f"advance-{r.pk}"} for r in referrals],
    }


def moves(referral: Referral, who: Actor) -> list[tuple[str, str]]:
    """The stages this person may move the referral to (none when they may not act on it)."""
    if not who.acts_for(referral.owner_id):
        return []
    return [(s, str(wording.STAGE_LABELS[s])) for s in wording.STAGES if s in NEXT[referral.stage]]


@dataclass
class Failure:
    """A refused move, with what the person typed, to show next to the field it concerns."""

    message: str
    where: str  # the field it concerns: one of ADVANCE_FIELDS
    values: dict[str, Any] = field(default_factory=dict)


@page()
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return referral_page(request, referral_id)


def referral_page(
    request: HttpRequest, referral_id: int, failure: Failure | None = None, status: int = 200
) -> HttpResponse:
    who = actor(request)
    referral = queries.visible(who, referral_id)
    transitions = list(referral.transitions.select_related("actor").order_by("at", "id"))
    asks = list(Ask.objects.filter(referral_id=referral.pk).select_related("asked_by").order_by("asked_at"))
    return render(
        request,
        "web/referral.html",
        {
            "section": "referrals",
            "referral": referral,
            "transitions": transitions,
            "drafts": [t for t in transitions if t.draft],
            "asks": asks,
            "outbox_messages": list(referral.outbox_messages.order_by("created_at", "id")),
            "can_send": referral.stage == "identified" and who.acts_for(referral.owner_id),
            "moves": moves(referral, who),
            "failure": failure,
            "here": reverse("web:referral", args=[referral.pk]),
        },
        status=status,
    )


@require_POST
@page(Permission.ACT)
def advance(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Move a referral; a forbidden move, a stale version or a refused ask is shown on its page."""
    who = actor(request)
    referral = queries.visible(who, referral_id)
    require_act_for(who, referral.owner_id, _("this referral"))
    posted = request.POST
    stage, note = posted.get("stage", ""), posted.get("note", "").strip()
    consent, override = posted.get("consent") == "on", posted.get("override_reason", "").strip()
    version = posted.get("expected_version", "")
    values: dict[str, Any] = {
        "stage": stage,
        "note": note,
        "consent": consent,
        "override_reason": override,
        "version": version,
    }
    try:
        expected = int(version) if version else None
        with transaction.atomic():
            moved = services.advance(
                referral.pk,
                stage,
                actor=who.teammate(),
                now=timezone.now(),
                note=note,
                expected_version=expected,
                consent=consent,
                override_reason=override,
            )
    except ValueError:
        failure = Failure(_("The version must be a whole number: reload the page."), "version", values)
        return referral_page(request, referral.pk, failure, status=422)
    except ReferlyError as exc:
        failure = Failure(str(exc), exc.field if exc.field in ADVANCE_FIELDS else "stage", values)
        return referral_page(request, referral.pk, failure, status=exc.http_status)
    messages.success(
        request,
        _("Referral %(id)s is now %(stage)s (version %(version)s).")
        % {"id": moved.pk, "stage": wording.STAGE_LABELS[moved.stage], "version": moved.version},
    )
    return redirect(back_to(request, reverse("web:referral", args=[moved.pk])))
