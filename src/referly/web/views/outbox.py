"""Sending an ask from the app and following it: the Send form (the rendered script, editable), the outbox list
and each message's history, approving a follow-up, and settling a message whose fate is unknown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.access.services import Actor, require_act_for
from referly.crm.models import Teammate
from referly.errors import Conflict, InvalidInput, NotFound, NotPermitted, ReferlyError
from referly.outbox import followups, states
from referly.outbox import services as outbox
from referly.outbox.models import MessageKind, MessageState, OutboxMessage
from referly.outreach import context as script_context
from referly.outreach.scripts import LANGUAGES
from referly.outreach.scripts import render as render_script
from referly.referrals import drafts
from referly.referrals import queries as referral_queries
from referly.referrals.models import Referral
from referly.scoring.models import NextBestAction
from referly.scoring.queries import visible_action
from referly.web import wording
from referly.web.navigation import page_of
from referly.web.pages import actor, page

PAGE_SIZE = 30
CHANNELS = ("email",)  # what Referly itself can send; the other scripts are copied from Today


@dataclass
class Draft:
    """The Send form's values: the rendered script, or what the person typed (never lost on a refusal)."""

    subject: str
    text: str
    language: str
    channel: str = "email"
    override_reason: str = ""


def in_view(who: Actor) -> QuerySet[OutboxMessage]:
    who.require(Permission.READ)
    return who.in_view(OutboxMessage.objects.select_related("owner", "referral", "contact"))


def visible_message(who: Actor, message_id: int) -> OutboxMessage:
    found = in_view(who).filter(pk=message_id).first()
    if found is None:
        raise NotFound(f"No message {message_id} in your outbox", code="message_not_found")
    return found


def language_of(params: Mapping[str, str], fallback: str) -> str:
    wanted = params.get("lang") or fallback
    return wanted if wanted in LANGUAGES else "en"


def action_draft(action: NextBestAction, lang: str) -> Draft:
    script_context.reachable(action.sponsor, action.target_contact)
    written = render_script("email", lang, script_context.for_loaded_action(action))
    return Draft(written.subject, written.body, lang)


def referral_draft(referral: Referral, lang: str) -> Draft:
    written = render_script("email", lang, drafts.script_context(referral))
    return Draft(written.subject, written.body, lang)


SUBJECT_MOST = 300  # the outbox's column


def posted_draft(params: Mapping[str, str], lang: str) -> Draft:
    return Draft(
        params.get("subject", ""),
        params.get("text", ""),
        lang,
        params.get("channel", "email"),
        params.get("override_reason", "").strip(),
    )


def checked(draft: Draft) -> None:
    """A draft the outbox can hold: a subject within its column, no NUL anywhere (refused beside the form)."""
    if len(draft.subject) > SUBJECT_MOST:
        raise InvalidInput(
            _("The subject is %(n)s characters long: at most %(most)s")
            % {"n": len(draft.subject), "most": SUBJECT_MOST},
            field="subject",
            code="subject_too_long",
        )
    if "\x00" in draft.subject + draft.text:
        raise InvalidInput(_("The message holds a NUL character"), field="text", code="nul_character")


def send_form(
    request: HttpRequest,
    draft: Draft | None,
    about: dict[str, Any],
    problem: ReferlyError | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/send.html",
        {
            "section": about.get("section", "today"),
            "draft": draft,
            "problem": problem,
            "languages": list(wording.LANGUAGE_LABELS.items()),
            "channels": [(c, wording.SCRIPT_LABELS.get(c, c)) for c in CHANNELS],
            **about,
        },
        status=status,
    )


def _action_about(action: NextBestAction) -> dict[str, Any]:
    return {
        "section": "today",
        "sponsor": action.sponsor,
        "target": action.target_contact,
        "target_account": action.target_account,
        "post_to": reverse("web:send_action", args=[action.pk]),
        "back": reverse("web:today") + f"#action-{action.pk}",
    }


def _referral_about(referral: Referral) -> dict[str, Any]:
    return {
        "section": "referrals",
        "sponsor": referral.referrer_contact,
        "target": referral.target_contact,
        "target_account": referral.target_account,
        "post_to": reverse("web:send_referral", args=[referral.pk]),
        "back": reverse("web:referral", args=[referral.pk]),
    }


@page(Permission.ACT)
def send_action(request: HttpRequest, action_id: int) -> HttpResponse:
    """GET: the form with the action's script; POST: queue it (or the refusal beside the form, the text kept)."""
    who = actor(request)
    action = visible_action(who, action_id, latest=False)
    require_act_for(who, action.owner_id, _("this action"))

    return _send(
        request,
        _action_about(action),
        lambda lang: action_draft(action, lang),
        lambda draft, lang: queued(who, draft, lang, action.pk, owner=action.owner),
        reverse("web:today") + f"#action-{action.pk}",
    )


@page(Permission.ACT)
def send_referral(request: HttpRequest, referral_id: int) -> HttpResponse:
    who = actor(request)
    referral = referral_queries.visible(who, referral_id)
    require_act_for(who, referral.owner_id, _("this referral"))

    return _send(
        request,
        _referral_about(referral),
        lambda lang: referral_draft(referral, lang),
        lambda draft, lang: queued(who, draft, lang, Referral.objects.select_for_update().get(pk=referral.pk)),
        reverse("web:referral", args=[referral.pk]),
    )


def queued(who: Actor, draft: Draft, lang: str, source: Referral | int, owner: Teammate | None = None) -> OutboxMessage:
    """The ask of ``source`` (a referral, or an action's id with its owner) queued with the draft as typed."""
    return outbox.queue_ask(
        source,
        owner=owner,
        channel=draft.channel,
        language=lang,
        subject=draft.subject,
        text=draft.text,
        now=timezone.now(),
        edited_by=who.teammate(),
        override_reason=draft.override_reason,
    )


def _send(
    request: HttpRequest,
    about: dict[str, Any],
    drafted: Callable[[str], Draft],
    queue: Callable[[Draft, str], OutboxMessage],
    done: str,
) -> HttpResponse:
    """The Send form of an action or a referral: the script on GET; on POST the message queued in one
    transaction, or the refusal beside the form with what was typed kept."""
    fallback = (request.LANGUAGE_CODE or "en")[:2]
    if request.method != "POST":
        try:
            return send_form(request, drafted(language_of(request.GET, fallback)), about)
        except ReferlyError as exc:
            return send_form(request, None, about, exc, status=exc.http_status)
    lang = language_of(request.POST, fallback)
    draft = posted_draft(request.POST, lang)
    try:
        checked(draft)
        with transaction.atomic():
            message = queue(draft, lang)
    except ReferlyError as exc:
        return send_form(request, draft, about, exc, status=exc.http_status)
    messages.success(request, _("Ask queued to %(to)s: it leaves in a moment.") % {"to": message.to_address})
    return redirect(done)


@page()
def outbox_list(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    found = in_view(who)
    state = request.GET.get("state", "")
    if state in MessageState.values:
        found = found.filter(state=state)
    listing = page_of(request, found, PAGE_SIZE)
    return render(
        request,
        "web/outbox.html",
        {
            "section": "outbox",
            "listing": listing,
            "messages_shown": list(listing.object_list),
            "state": state,
            "states": MessageState.choices,
            "query": f"state={state}" if state else "",
        },
    )


@page()
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    who = actor(request)
    message = visible_message(who, message_id)
    return render(
        request,
        "web/outbox_message.html",
        {
            "section": "outbox",
            "message": message,
            "changes": list(message.changes.order_by("at", "id")),
            "can_act": who.acts_for(message.owner_id),
            "to_approve": message.kind == MessageKind.FOLLOW_UP
            and message.state == MessageState.QUEUED
            and message.approved_at is None,
            "unknown": message.state == MessageState.UNKNOWN,
        },
    )


def _acted_on(request: HttpRequest, message_id: int) -> tuple[Actor, OutboxMessage]:
    who = actor(request)
    message = visible_message(who, message_id)
    require_act_for(who, message.owner_id, _("this message"))
    return who, message


@require_POST
@page(Permission.ACT)
def approve(request: HttpRequest, message_id: int) -> HttpResponse:
    """Approve a proposed follow-up: it leaves with the next delivery."""
    who, message = _acted_on(request, message_id)
    me = who.teammate()
    if me is None:
        raise NotPermitted(_("Only the follow-up's owner approves it"), code="not_the_owner")
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        followups.approve(locked, me, timezone.now())
    messages.success(request, _("Follow-up approved: it leaves with the next delivery."))
    return redirect(reverse("web:outbox_message", args=[message.pk]))


@require_POST
@page(Permission.ACT)
def discard(request: HttpRequest, message_id: int) -> HttpResponse:
    """Discard a proposed follow-up: it never leaves."""
    _who, message = _acted_on(request, message_id)
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.kind != MessageKind.FOLLOW_UP or locked.approved_at is not None:
            raise Conflict(_("Only a follow-up waiting for approval can be discarded"), code="not_a_waiting_follow_up")
        states.change(locked, MessageState.CANCELLED, timezone.now(), "discarded by its owner")
    messages.success(request, _("Follow-up discarded."))
    return redirect(reverse("web:outbox_message", args=[message.pk]))


@require_POST
@page(Permission.ACT)
def resolve(request: HttpRequest, message_id: int) -> HttpResponse:
    """Settle a message left in "unknown — check": it did leave (sent), or queue it again."""
    who, message = _acted_on(request, message_id)
    decision = request.POST.get("decision", "")
    now = timezone.now()
    me = who.teammate()
    name = me.name if me is not None else who.email
    with transaction.atomic():
        locked = outbox.settle_unknown(message.pk, decision, name, now)
    messages.success(request, _("Message %(id)s: %(state)s.") % {"id": locked.pk, "state": locked.get_state_display()})
    return redirect(reverse("web:outbox_message", args=[message.pk]))
