"""The portal's and opt-in links' events in the audit trail: the actor is the link, never a login.

The sponsor's address is among each event's mentions, so that forgetting the sponsor erases it; the person
they recommend is never named (a declined or expired request erases their address, and the trail must not
keep it). A refusal records why (forged, expired, revoked...), which the visitor is never told.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from referly.audit.trail import record
from referly.portal import links
from referly.portal.models import OptIn, SponsorLink


def note(kind: str, request: HttpRequest, link: SponsorLink | OptIn | None, subject: str = "", **detail: Any) -> None:
    if isinstance(link, OptIn):
        label, sponsor = f"opt-in link #{link.pk}", link.referral.referrer_contact.email
    elif link is not None:
        label, sponsor = f"sponsor link #{link.pk}", link.contact.email
    else:
        label, sponsor = "unknown link", None
    record(
        kind,
        request=request,
        user=AnonymousUser(),
        actor_label=label,
        subject=subject,
        detail=detail,
        mentions=[sponsor],
    )


def _why_sponsor_link(found: SponsorLink, digest: str) -> str:
    person = found.contact
    if found.revoked_at is not None:
        return "revoked"
    if found.expires_at <= timezone.now():
        return "expired"
    if person.erased_at is not None or person.do_not_contact or person.opted_out_of_asks:
        return "sponsor opted out or forgotten"
    return "invalid request" if links.matches(found.nonce_digest, digest) else "replaced by a newer link"


def _why_opt_in(found: OptIn, digest: str) -> str:
    if found.confirmed_at is not None or found.declined_at is not None:
        return "already answered"
    if found.expires_at <= timezone.now():
        return "expired"
    if found.email is None:
        return "erased"
    return "invalid request" if links.matches(found.nonce_digest, digest) else "replaced by a newer link"


def note_refusal(request: HttpRequest, token: str, what: str = "refused") -> None:
    """A link refused (``what`` = refused) or stopped by a rate limit (rate_limited), with why."""
    opt_in = request.path.startswith("/o/")
    kind = f"{'optin' if opt_in else 'portal'}.{what}"
    try:
        row_id, digest = links.read_token(token, links.OPT_IN_SALT if opt_in else links.SPONSOR_SALT)
    except links.LinkRefused:
        note(kind, request, None, "forged or altered link" if what == "refused" else "too many requests")
        return
    found: SponsorLink | OptIn | None
    if opt_in:
        found = OptIn.objects.select_related("referral__referrer_contact").filter(pk=row_id).first()
        why = _why_opt_in(found, digest) if found else "unknown link"
    else:
        found = SponsorLink.objects.select_related("contact").filter(pk=row_id).first()
        why = _why_sponsor_link(found, digest) if found else "unknown link"
    note(kind, request, found, why if what == "refused" else "too many requests")
