"""Signed, expiring, revocable links: a sponsor's page, and a recommended person's consent.

A token is ``signing.dumps({"i": row id, "n": nonce})`` with a salt per kind of link: it names no person, it
cannot be altered without the installation's secret key, and its nonce is checked (in constant time) against
the digest stored in the row, which a revocation or a new link replaces. Every way a link can fail (forged,
altered, unknown, expired, revoked, its person forgotten or opted out) is the same ``LinkRefused``: a page
must not tell one from another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core import signing

from referly import config
from referly.crm.models import Contact, Teammate
from referly.errors import InvalidInput, ReferlyError
from referly.portal.models import OptIn, SponsorLink

SPONSOR_SALT = "referly.portal.sponsor"
OPT_IN_SALT = "referly.portal.opt-in"
FRENCH_COUNTRIES = {"FR", "BE", "LU", "MC", "CH", "CA", "SN", "CI", "MA", "TN"}


class LinkRefused(ReferlyError):
    """The one answer for any link that does not open a page, whatever the reason."""

    http_status = 404
    exit_code = 3
    kind = "link_refused"


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def make_token(row_id: int, salt: str) -> tuple[str, str]:
    """A new token for row ``row_id`` and the digest of its nonce, to store."""
    nonce = secrets.token_urlsafe(24)
    return signing.dumps({"i": row_id, "n": nonce}, salt=salt, compress=False), _digest(nonce)


def read_token(token: str, salt: str) -> tuple[int, str]:
    """The row id and nonce digest in ``token``; ``LinkRefused`` when it is not one of ours, unaltered."""
    try:
        data: Any = signing.loads(token[:400], salt=salt)
        return int(data["i"]), _digest(str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("This link does not work") from None


def matches(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored.encode(), presented.encode())


def language_of(contact: Contact) -> str:
    return "fr" if (contact.account.country or "").upper() in FRENCH_COUNTRIES else "en"


def url_for(path: str) -> str:
    return config.BASE_URL.value().rstrip("/") + path


def create_sponsor_link(
    contact: Contact, days: int, now: datetime, by: Teammate | None, language: str | None = None
) -> tuple[SponsorLink, str]:
    """A new link for ``contact`` (their earlier ones stop working: one link per sponsor); the row and its URL."""
    if not 1 <= days <= 365:
        raise InvalidInput("A sponsor link lasts 1 to 365 days", field="days", code="link_days")
    if contact.erased_at is not None or contact.do_not_contact or contact.opted_out_of_asks:
        raise InvalidInput(
            f"{contact.name} must not be asked for referrals (opted out, do-not-contact or forgotten)",
            field="email",
            code="do_not_contact",
        )
    if language not in (None, "en", "fr"):
        raise InvalidInput(f"A sponsor page is in en or fr, not {language!r}", field="lang", code="link_language")
    revoke_sponsor_links(contact, now)
    link = SponsorLink.objects.create(
        contact=contact,
        nonce_digest="",
        language=language or language_of(contact),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token, link.nonce_digest = make_token(link.pk, SPONSOR_SALT)
    link.save(update_fields=["nonce_digest"])
    return link, url_for(f"/p/{token}/")


def revoke_sponsor_links(contact: Contact, now: datetime) -> int:
    return SponsorLink.objects.filter(contact=contact, revoked_at__isnull=True).update(revoked_at=now)


def sponsor_link(token: str, now: datetime) -> SponsorLink:
    """The live link ``token`` names, re-checked at every request; ``LinkRefused`` otherwise."""
    link_id, digest = read_token(token, SPONSOR_SALT)
    link = SponsorLink.objects.select_related("contact__account").filter(pk=link_id).first()
    if (
        link is None
        or not matches(link.nonce_digest, digest)
        or link.revoked_at is not None
        or link.expires_at <= now
        or link.contact.erased_at is not None
        or link.contact.do_not_contact
        or link.contact.opted_out_of_asks
    ):
        raise LinkRefused("This link does not work")
    return link


def opt_in_of(token: str, now: datetime) -> OptIn:
    """The open consent request ``token`` names; ``LinkRefused`` when answered, expired, erased or not ours."""
    row_id, digest = read_token(token, OPT_IN_SALT)
    found = OptIn.objects.select_related("referral").filter(pk=row_id).first()
    if (
        found is None
        or not matches(found.nonce_digest, digest)
        or found.email is None
        or found.confirmed_at is not None
        or found.declined_at is not None
        or found.expires_at <= now
    ):
        raise LinkRefused("This link does not work")
    return found
