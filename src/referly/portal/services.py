"""What a sponsor does on their page, and what the person they name answers. The caller owns the transaction.

Messages (the consent request, the owner's notice) are composed here and handed to ``after_commit``: they
leave only once the change that caused them is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from referly.crm import normalise
from referly.crm.models import Account, Contact, Teammate
from referly.errors import InvalidInput, NotPermitted, ReferlyError
from referly.portal import messages
from referly.portal.links import OPT_IN_SALT, LinkRefused, make_token, url_for
from referly.portal.models import Answer, DeclinedAddress, OptIn, PathAnswer, SponsorLink
from referly.portal.queries import offered
from referly.referrals import services as referrals
from referly.referrals.models import Referral, ReferralStage

OPT_IN_DAYS = 14
OPEN = [ReferralStage.IDENTIFIED, ReferralStage.REQUESTED, ReferralStage.INTRODUCED, ReferralStage.MEETING]
AfterCommit = Callable[[Callable[[], None]], None]


def owner_of(link: SponsorLink) -> Teammate | None:
    """Who follows up what the sponsor does: whoever sent the link, else the owner of the sponsor's account."""
    return link.created_by or link.contact.account.owner


def _owner(link: SponsorLink) -> Teammate:
    owner = owner_of(link)
    if owner is None:
        raise NotPermitted("Nobody owns this client yet", code="no_owner")
    return owner


def answer(link: SponsorLink, account_id: int, choice: str, now: datetime) -> Referral | None:
    """Record the sponsor's answer about one of their targets; "introduce" makes (once) a requested referral."""
    if choice not in Answer.values:
        raise InvalidInput(_("Choose one of the answers"), field="answer", code="portal_answer")
    paths = {a.target_account_id: a.target_contact_id for a in offered(link.contact)}
    if account_id not in paths:  # not one of theirs: the same refusal as any bad link, nothing to probe
        raise LinkRefused("This link does not work")
    referral = None
    if choice == Answer.INTRODUCE:
        referral = _open_referral(link.contact, account_id) or _requested(link, account_id, paths[account_id], now)
    PathAnswer.objects.update_or_create(
        contact=link.contact,
        target_account_id=account_id,
        defaults={"answer": choice, "answered_at": now, "target_contact_id": paths[account_id], "referral": referral},
    )
    return referral


def _open_referral(sponsor: Contact, account_id: int) -> Referral | None:
    return Referral.objects.filter(referrer_contact=sponsor, target_account_id=account_id, stage__in=OPEN).first()


def _requested(link: SponsorLink, account_id: int, contact_id: int | None, now: datetime) -> Referral:
    person = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    return _offered(link.contact, account_id, person, _owner(link), now, "The sponsor offered to introduce us")


def _offered(
    sponsor: Contact, account_id: int, person: Contact | None, owner: Teammate, now: datetime, why: str
) -> Referral:
    """A referral the sponsor offered on their page: recorded, then requested (an ask they made themselves,
    so the ask caps are overridden with that reason)."""
    made = referrals.create(
        sponsor, account_id, person, owner, now=now, actor=None, channel="portal", note="From the sponsor page"
    )
    return referrals.advance(
        made.pk,
        ReferralStage.REQUESTED,
        actor=None,
        now=now,
        note=why,
        override_reason="offered by the sponsor on their page",
    )


@dataclass(frozen=True)
class Recommendation:
    name: str
    email: str
    company: str
    how_they_know: str
    note: str


LIMITS = {"name": 200, "email": 254, "company": 200, "how_they_know": 500, "note": 2000}


def check(form: dict[str, str]) -> Recommendation:
    """The recommendation form, each field within its limit; ``InvalidInput`` naming the first bad field."""
    values = {k: (form.get(k) or "").strip() for k in LIMITS}
    for field, most in LIMITS.items():
        if len(values[field]) > most:
            raise InvalidInput(_("At most %(most)s characters") % {"most": most}, field=field, code="too_long")
        if "\x00" in values[field]:
            raise InvalidInput(_("This text cannot be read"), field=field, code="bad_text")
    for field in ("name", "email", "company"):
        if not values[field]:
            raise InvalidInput(_("Required"), field=field, code="required")
    if any(c in values["name"] for c in "\r\n"):
        raise InvalidInput(_("One line only"), field="name", code="bad_text")
    email = normalise.email(values["email"])
    if not email or "@" not in email or "." not in email.rpartition("@")[2] or any(c in email for c in " \r\n,;<>"):
        raise InvalidInput(_("A work e-mail such as jane@example.com"), field="email", code="bad_email")
    return Recommendation(values["name"], email, values["company"], values["how_they_know"], values["note"])


def _declined_digest(email: str) -> str:
    return salted_hmac("referly.portal.declined", email, algorithm="sha256").hexdigest()


def recommend(link: SponsorLink, form: dict[str, str], now: datetime, after_commit: AfterCommit) -> Referral:
    """A person the sponsor recommends: a referral at their company (found or recorded), credited as the rules
    say (a target already in play is a duplicate), and a consent request sent to them once committed."""
    wanted = check(form)
    sponsor = link.contact
    if wanted.email == (sponsor.email or ""):
        raise InvalidInput(_("Recommend someone other than yourself"), field="email", code="self")
    known = Contact.objects.select_related("account").filter(email=wanted.email).first()
    if DeclinedAddress.objects.filter(digest=_declined_digest(wanted.email)).exists() or (
        known is not None and (known.do_not_contact or known.erased_at is not None)
    ):
        # Said as if it went well: the sponsor must not learn that this person refused us before.
        raise AlreadyAnswered("Already answered")
    account = known.account if known is not None else _account_for(wanted)
    if account.pk == sponsor.account_id:
        raise InvalidInput(_("Recommend someone at another company than yours"), field="company", code="own_account")
    owner = _owner(link)
    asked = OptIn.objects.filter(referral__referrer_contact=sponsor, email=wanted.email, referral__stage__in=OPEN)
    if asked.exists():  # a second click, or the same person again while we wait for their answer
        raise AlreadyAnswered("Already answered")
    made = _offered(sponsor, account.pk, known, owner, now, "The sponsor recommended someone; their consent is asked")
    request = OptIn.objects.create(
        referral=made,
        name=wanted.name,
        email=wanted.email,
        company=wanted.company,
        how_they_know=wanted.how_they_know,
        note=wanted.note,
        nonce_digest="",
        language=link.language,
        created_at=now,
        expires_at=now + timedelta(days=OPT_IN_DAYS),
    )
    token, request.nonce_digest = make_token(request.pk, OPT_IN_SALT)
    request.save(update_fields=["nonce_digest"])
    message = messages.consent_request(request, sponsor, owner, url_for(f"/o/{token}/"))
    after_commit(lambda: messages.deliver(request.pk, message))
    return made


class AlreadyAnswered(ReferlyError):
    """A recommendation that will not be followed, answered like one that will (see ``recommend``)."""

    kind = "already_answered"


def _account_for(wanted: Recommendation) -> Account:
    domain = normalise.domain(wanted.email.rpartition("@")[2])
    by_domain = Account.objects.filter(domain=domain).first() if domain else None
    if by_domain is not None:
        return by_domain
    key = normalise.company_key(wanted.company)
    by_name = Account.objects.filter(Q(name_key=key) | Q(name__iexact=wanted.company)).first()
    if by_name is not None:
        return by_name
    return Account.objects.create(
        name=wanted.company, name_key=key, domain=domain or None, source_system="portal", lifecycle="prospect"
    )


def opt_out(link: SponsorLink, now: datetime) -> None:
    """ "Don't ask me again": no more asks of this sponsor anywhere, and their link stops working."""
    Contact.objects.filter(pk=link.contact_id).update(opted_out_of_asks=True)
    SponsorLink.objects.filter(contact_id=link.contact_id, revoked_at__isnull=True).update(revoked_at=now)


def confirm(request: OptIn, now: datetime, after_commit: AfterCommit) -> Referral:
    """The person agrees: they become a contact at the target (their address moves there), the referral is
    introduced, and the owner is told who they are."""
    referral = request.referral
    person = referral.target_contact or Contact.objects.filter(email=request.email).first()
    if person is None:
        first, _, last = request.name.partition(" ")
        person = Contact.objects.create(
            account_id=referral.target_account_id,
            first_name=first[:100],
            last_name=last[:100],
            email=request.email,
            source_system="portal",
        )
        Referral.objects.filter(pk=referral.pk).update(target_contact=person)
    moved = referrals.advance(
        referral.pk, ReferralStage.INTRODUCED, actor=None, now=now, consent=True, note="They agreed to be contacted"
    )
    notice = messages.owner_notice(moved, person, request)  # composed while the address is still here
    request.confirmed_at, request.email = now, None  # it lives on in the contact record now
    request.save(update_fields=["confirmed_at", "email"])
    after_commit(lambda: messages.deliver(None, notice))
    return moved


def decline(request: OptIn, now: datetime) -> None:
    """The person declines: the referral is closed, their address erased, and a keyed digest of it kept so
    that nobody can recommend them again."""
    DeclinedAddress.objects.get_or_create(digest=_declined_digest(request.email or ""), defaults={"declined_at": now})
    referrals.advance(request.referral_id, ReferralStage.DECLINED, actor=None, now=now, note="They declined")
    _erase(request, now, declined=True)


def expire(now: datetime) -> int:
    """Consent requests unanswered for 14 days: the referral falls to no response and the address is erased."""
    done = 0
    for request in OptIn.objects.filter(expires_at__lte=now, email__isnull=False, confirmed_at__isnull=True):
        if request.referral.stage == ReferralStage.REQUESTED:
            referrals.advance(
                request.referral_id, ReferralStage.NO_RESPONSE, actor=None, now=now, note="No answer in 14 days"
            )
        _erase(request, now, declined=False)
        done += 1
    return done


def _erase(request: OptIn, now: datetime, *, declined: bool) -> None:
    request.email, request.name, request.how_they_know, request.note, request.erased_at = None, "", "", "", now
    if declined:
        request.declined_at = now
    request.save(update_fields=["email", "name", "how_they_know", "note", "erased_at", "declined_at"])
