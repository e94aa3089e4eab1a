"""Settings → Mail: my daily digest (on or off, hour, time zone, language), and for admins a test message
through the team's SMTP server that reports the server's answer."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import getaddresses
from zoneinfo import available_timezones

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly import config, mail
from referly.access.roles import Permission
from referly.access.services import Actor
from referly.audit.trail import record
from referly.errors import InvalidInput, ReferlyError, Unavailable
from referly.notices.digest import choice_of
from referly.notices.models import DigestChoice
from referly.notices.wording import LANGUAGES
from referly.web import wording
from referly.web.pages import actor, page

TEST_SUBJECT = {"en": "Referly: test message", "fr": "Referly : message de test"}
TEST_TEXT = {
    "en": "This message was sent from Referly's Settings to check the SMTP server. Nothing to do.\n",
    "fr": "Ce message a été envoyé depuis les Paramètres de Referly pour vérifier le serveur SMTP. Rien à faire.\n",
}


def mail_page(
    request: HttpRequest,
    test_answer: str = "",
    test_error: str = "",
    problem: ReferlyError | None = None,
    status: int = 200,
) -> HttpResponse:
    who = actor(request)
    me = who.teammate()
    return render(
        request,
        "web/mail_settings.html",
        {
            "section": "notices",
            "me": me,
            "choice": choice_of(me) if me is not None else None,
            "zones": sorted(available_timezones()),
            "default_zone": config.TIME_ZONE.value(),
            "languages": [(c, wording.LANGUAGE_LABELS.get(c, c)) for c in LANGUAGES],
            "hours": range(24),
            "smtp_url": mail_server_shown(),
            "test_answer": test_answer,
            "test_error": test_error,
            "problem": problem,
        },
        status=status,
    )


def mail_server_shown() -> str:
    """The SMTP server's address without its password, or empty when none is set."""
    try:
        where = mail.server()
    except ReferlyError:
        return ""
    return f"{'smtps' if where.tls else 'smtp'}://{where.host}:{where.port}"


@page()
def mail_settings(request: HttpRequest) -> HttpResponse:
    return mail_page(request)


@require_POST
@page()
def save_digest(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    try:
        with transaction.atomic():
            saved = saved_choice(who, request.POST)
            record("settings.changed", request=request, subject="daily digest", detail=digest_detail(saved))
    except ReferlyError as exc:
        return mail_page(request, problem=exc, status=exc.http_status)
    messages.success(request, _("Daily digest settings saved."))
    return redirect(reverse("web:mail_settings"))


def digest_detail(choice: DigestChoice) -> dict[str, object]:
    return {"enabled": choice.enabled, "hour": choice.hour, "time_zone": choice.time_zone, "language": choice.language}


def saved_choice(who: Actor, posted: Mapping[str, str]) -> DigestChoice:
    me = who.teammate()
    if me is None:
        raise InvalidInput(_("Your login is not linked to a teammate: there is no digest to set"), code="no_teammate")
    get = posted.get
    hour, zone, language = str(get("hour", "")), str(get("time_zone", "")).strip(), str(get("language", "en"))
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise InvalidInput(_("The hour must be a whole number from 0 to 23"), field="hour", code="digest_hour")
    if zone and zone not in available_timezones():
        raise InvalidInput(_("%(zone)s is not a known time zone") % {"zone": zone}, field="time_zone", code="zone")
    if language not in LANGUAGES:
        raise InvalidInput(_("The language must be English or French"), field="language", code="digest_language")
    choice = DigestChoice.objects.select_for_update().filter(teammate=me).first() or DigestChoice(teammate=me)
    choice.enabled = get("enabled") == "on"
    choice.hour, choice.time_zone, choice.language = int(hour), zone, language
    choice.save()
    return choice


@require_POST
@page(Permission.ADMINISTER)
def test_message(request: HttpRequest) -> HttpResponse:
    """Send a test message to the person asking, at once, and show the server's answer (or its refusal)."""
    who = actor(request)
    me = who.teammate()
    address = (me.email if me is not None else "") or who.email
    if not address:
        return mail_page(request, test_error=_("Your login has no e-mail address to send the test to."), status=400)
    lang = (request.LANGUAGE_CODE or "en")[:2]
    lang = lang if lang in TEST_SUBJECT else "en"
    try:
        message = mail.compose((me.name if me else "", address), TEST_SUBJECT[lang], TEST_TEXT[lang])
        answer = hand_over_answered(message)
    except mail.Refused as exc:
        return mail_page(request, test_error=exc.sentence, status=502)
    except ReferlyError as exc:
        return mail_page(request, test_error=exc.sentence, status=exc.http_status)
    answered = _("Sent to %(to)s. The server answered: %(answer)s") % {"to": address, "answer": answer}
    return mail_page(request, test_answer=answered)


def hand_over_answered(message: EmailMessage) -> str:
    """Send ``message`` and return the server's answer to it (e.g. ``250 2.0.0 Ok: queued``)."""
    sender = getaddresses([str(message["From"])])[0][1]
    recipients = [a for _n, a in getaddresses([str(message["To"])]) if a]
    with mail.connected() as client:
        try:
            client.ehlo_or_helo_if_needed()
            code, reply = client.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            for recipient in recipients:
                code, reply = client.rcpt(recipient)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
            code, reply = client.data(message.as_bytes())
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise Unavailable(f"{code} {reply.decode('utf-8', 'replace')}", code="smtp_failed") from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise Unavailable(f"{exc.smtp_code} {text}", code="smtp_failed") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unavailable(str(exc) or type(exc).__name__, code="smtp_failed") from None
    return f"{code} {reply.decode('utf-8', 'replace')}"
