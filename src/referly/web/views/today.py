"""Today: my next best actions, why, the script ready to copy, one click to log the ask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.access.services import Actor, require_act_for
from referly.errors import ReferlyError
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.outreach import context as script_context
from referly.outreach.scripts import LANGUAGES, REFERRAL_CHANNEL, SCRIPT_CHANNEL
from referly.outreach.scripts import render as render_script
from referly.referrals import services
from referly.referrals.calibration import ask_rates, calibrated_words
from referly.referrals.queries import under_way
from referly.scoring.models import NextBestAction
from referly.scoring.queries import actions_in_view, latest_run, visible_action
from referly.web import wording
from referly.web.navigation import back_to, page_of_run, query_without_page
from referly.web.pages import actor, page
from referly.web.visibility import chosen_scope, owners_in, scopes

PAGE_SIZE = 10
SCRIPT_SECONDS = 300  # a script is re-rendered at most this long after its template or the records change


@dataclass(frozen=True)
class Refusal:
    """Why the ask of one action was refused, shown next to that action."""

    action_id: int
    message: str
    may_override: bool
    override_reason: str = ""


@page()
def today(request: HttpRequest) -> HttpResponse:
    return today_page(request, request.GET)


def script_language(params: Mapping[str, str]) -> str:
    wanted = params.get("lang") or (get_language() or "en")[:2]
    return wanted if wanted in LANGUAGES else "en"


def today_page(
    request: HttpRequest, params: Mapping[str, str], refusal: Refusal | None = None, status: int = 200
) -> HttpResponse:
    who = actor(request)
    run = latest_run()
    scope = chosen_scope(who, params)
    script = params.get("channel", "")
    script = script if script in wording.SCRIPT_LABELS else ""
    lang = script_language(params)
    cards: list[dict[str, Any]] = []
    listing = None
    if run is not None:
        listing = page_of_run(request, actions_in_view(who, owners_in(who, scope)), PAGE_SIZE, run)
        cards = action_cards(list(listing.object_list), who, script, lang, refusal)
    return render(
        request,
        "web/today.html",
        {
            "section": "today",
            "run": run,
            "cards": cards,
            "follow_ups": follow_ups_to_approve(who),
            "listing": listing,
            "scope": scope,
            "scopes": [(s, wording.SCOPE_LABELS[s]) for s in scopes(who)],
            "script": script,
            "scripts": list(wording.SCRIPT_LABELS.items()),
            "lang": lang,
            "languages": list(wording.LANGUAGE_LABELS.items()),
            "query": query_without_page(request),
            "here": request.get_full_path() if request.method == "GET" else params.get("next", reverse("web:today")),
        },
        status=status,
    )


def action_cards(
    actions: list[NextBestAction], who: Actor, script: str, lang: str, refusal: Refusal | None
) -> list[dict[str, Any]]:
    asked = under_way([(a.sponsor_id, a.target_account_id) for a in actions])
    sent = latest_messages([r.pk for r in asked.values()])
    rates = ask_rates(timezone.now()) if actions else {}
    cards = []
    for action in actions:
        channel = script or SCRIPT_CHANNEL.get(action.channel, "email")
        text, problem = "", ""
        try:
            text = script_text(action, channel, lang)
        except ReferlyError as exc:
            problem = str(exc)
        cards.append(
            {
                "action": action,
                "parts": components(action.components),
                "calibrated": calibrated_words(rates.get(action.channel)),
                "channel": channel,
                "channel_label": wording.SCRIPT_LABELS.get(channel, channel),
                "script": text,
                "script_problem": problem,
                "can_act": who.acts_for(action.owner_id),
                "referral": (referral := asked.get((action.sponsor_id, action.target_account_id))),
                "message": sent.get(referral.pk) if referral is not None else None,
                "refusal": refusal if refusal is not None and refusal.action_id == action.pk else None,
            }
        )
    return cards


def follow_ups_to_approve(who: Actor) -> list[OutboxMessage]:
    """The drafted follow-ups waiting for their owner's approval, when the person may approve them."""
    if who.teammate_id is None:
        return []
    waiting = OutboxMessage.objects.filter(
        owner_id=who.teammate_id, kind=MessageKind.FOLLOW_UP, state=MessageState.QUEUED, approved_at__isnull=True
    )
    return list(waiting.select_related("referral__target_account").order_by("created_at", "id")[:20])


def latest_messages(referral_ids: list[int]) -> dict[int, OutboxMessage]:
    """The latest outbox message of each referral, for the queued / sent / replied badge on its action."""
    found: dict[int, OutboxMessage] = {}
    for message in OutboxMessage.objects.filter(referral_id__in=referral_ids).order_by("created_at", "id"):
        if message.referral_id is not None:
            found[message.referral_id] = message
    return found


def script_text(action: NextBestAction, channel: str, lang: str) -> str:
    """The action's script, kept a few minutes per process: the people it names are checked on every call,
    so a do-not-contact or an opt-out takes effect at once."""
    script_context.reachable(action.sponsor, action.target_contact)
    key = f"referly:script:{action.run_id}:{action.pk}:{action.sponsor_id}:{action.target_contact_id}:{channel}:{lang}"
    text = cache.get(key)
    if not isinstance(text, str):
        text = render_script(channel, lang, script_context.for_loaded_action(action)).text()
        cache.set(key, text, SCRIPT_SECONDS)
    return text


def components(parts: dict[str, Any]) -> list[tuple[str, str]]:
    """An action's components as (what, value) pairs a person reads."""
    shown: list[tuple[str, str]] = []
    labels = {
        "sponsor_score": _("Sponsor score"),
        "path_strength": _("Path strength"),
        "paths": _("Warm paths"),
        "tie": _("Tie strength"),
        "confidence": _("Tie confidence"),
        "tie_kind": _("Tie"),
        "target_fit": _("Target ICP fit"),
        "target_tier": _("Target tier"),
        "moment": _("Moment"),
        "moment_strength": _("Moment strength"),
        "moment_days_left": _("Days left in the moment"),
        "same_industry": _("Same industry"),
        "same_size": _("Same size band"),
        "early_deal": _("Early open deal"),
    }
    for key, label in labels.items():
        if key not in parts or parts[key] is None:
            continue
        value = parts[key]
        if isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif isinstance(value, float):
            text = f"{value:.2f}" if value <= 1 else f"{value:.0f}"
        else:
            text = str(value).replace("_", " ")
        shown.append((str(label), text))
    return shown


@require_POST
@page(Permission.ACT)
def ask(request: HttpRequest, action_id: int) -> HttpResponse:
    """Create the referral from the action and record the ask, in one transaction: all of it or nothing."""
    who = actor(request)
    action = visible_action(who, action_id, latest=False)
    require_act_for(who, action.owner_id, _("this action"))
    script = request.POST.get("channel", "")
    channel = REFERRAL_CHANNEL.get(script) or action.channel
    lang = script_language(request.POST)
    override = request.POST.get("override_reason", "").strip()
    me = who.teammate()
    now = timezone.now()
    try:
        with transaction.atomic():
            made = services.create_from_action(action.pk, me, now, channel, lang)
            moved = services.advance(
                made.pk,
                "requested",
                actor=me,
                now=now,
                note="Asked from the Today page",
                expected_version=made.version,
                override_reason=override,
            )
    except ReferlyError as exc:
        may_override = exc.field == "override_reason"
        refusal = Refusal(action.pk, exc.message, may_override, override)
        return today_page(request, request.POST, refusal, status=exc.http_status)
    messages.success(
        request,
        _("Ask logged: referral %(id)s from %(sponsor)s to %(target)s is now requested.")
        % {"id": moved.pk, "sponsor": action.sponsor.name, "target": action.target_account.name},
    )
    return redirect(back_to(request, reverse("web:today")))
