"""The portal's two messages: the consent request to a recommended person, and the owner's notice when they agree.

Composed inside the transaction (they read the records), sent after it commits (``deliver``): a message
about a change that was rolled back never leaves. A failure to send is kept on the consent request and shown
on the referral's page, never lost.
"""

from __future__ import annotations

from email.message import EmailMessage

from django.template.loader import render_to_string
from django.utils import timezone

from referly import mail
from referly.crm.models import Contact, Teammate
from referly.errors import ReferlyError
from referly.portal.links import url_for
from referly.portal.models import OptIn
from referly.portal.queries import team_name
from referly.referrals.models import Referral

_SUBJECT = {
    "en": "{sponsor} suggested we get in touch",
    "fr": "{sponsor} nous a suggéré de vous écrire",
}
_HTML = {
    "en": {
        "greeting": "Hello {name},",
        "intro": "{sponsor} ({company}) thought you might like to hear from {team}, and suggested we get in touch. "
        "May we contact you?",
        "answer": "Answer: yes or no",
        "promise": "If you say no, or do not answer within 14 days, we erase your address and will not write again.",
    },
    "fr": {
        "greeting": "Bonjour {name},",
        "intro": "{sponsor} ({company}) a pensé que vous aimeriez avoir des nouvelles de {team}, et nous a suggéré "
        "de vous écrire. Pouvons-nous vous contacter ?",
        "answer": "Répondre : oui ou non",
        "promise": "Si vous refusez, ou sans réponse sous 14 jours, nous effaçons votre adresse et ne vous "
        "écrirons plus.",
    },
}
_NOTICE = {"en": "{person} agreed to be contacted (referral {id})", "fr": "{person} accepte d’être contacté(e) ({id})"}


def consent_request(request: OptIn, sponsor: Contact, owner: Teammate, link: str) -> EmailMessage:
    language = request.language if request.language in _SUBJECT else "en"
    team = team_name(owner)
    context = {
        "name": request.name,
        "sponsor": sponsor.name,
        "sponsor_company": sponsor.account.name,
        "team": team,
        "how": request.how_they_know,
        "link": link,
        "owner": owner.name,
        "language": language,
    }
    text = render_to_string(f"portal/mail/consent_{language}.txt", context)
    words = {
        k: v.format(name=request.name, sponsor=sponsor.name, company=sponsor.account.name, team=team)
        for k, v in _HTML[language].items()
    }
    html = render_to_string("portal/mail/consent.html", {**context, **words})
    subject = _SUBJECT[language].format(sponsor=sponsor.name)
    return mail.compose((request.name, request.email or ""), subject, text, html, reply_to=owner.email or "")


def owner_notice(referral: Referral, person: Contact, request: OptIn) -> EmailMessage | None:
    owner = referral.owner
    if not owner.email:
        return None
    language = request.language if request.language in _NOTICE else "en"
    context = {
        "person": request.name,
        "company": request.company,
        "email": request.email,
        "how": request.how_they_know,
        "note": request.note,
        "sponsor": referral.referrer_contact.name,
        "sponsor_company": referral.referrer_account.name,
        "target": referral.target_account.name,
        "link": url_for(f"/referrals/{referral.pk}/"),
    }
    text = render_to_string(f"portal/mail/owner_{language}.txt", context)
    subject = _NOTICE[language].format(person=request.name or person.name, id=referral.pk)
    return mail.compose((owner.name, owner.email), subject, text)


def deliver(opt_in_id: int | None, message: EmailMessage | None) -> None:
    """Send ``message`` now (after the commit); record on the consent request whether it left, and why not."""
    if message is None:
        return
    try:
        mail.send(message)
    except ReferlyError as exc:
        if opt_in_id is not None:
            OptIn.objects.filter(pk=opt_in_id).update(send_error=exc.sentence)
        return
    if opt_in_id is not None:
        OptIn.objects.filter(pk=opt_in_id).update(sent_at=timezone.now())
