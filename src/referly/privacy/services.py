"""A person's data: everything we hold about them (export) and erasing it (forget).

``forget`` keeps the rows that counts are made of (the contact, their interactions, asks, referrals,
signals, deals) but erases what identifies the person: name, e-mail, phone, title and external id on
the contact; their employment history and network ties (deleted); every mention of their name,
e-mail or phone in any text or JSON column of any table (replaced by ``[erased]``; whole words only, and
other records' own e-mails and names are left alone), their first name in their referrals' drafts and
notes; the identifiers of records merged into them, and the merge snapshots
of records merged into them; score rows computed about them (the next scoring run recomputes
what remains); and every audit event naming one of their addresses (only its kind and time stay).
The contact is then marked do-not-contact and opted out, so nothing asks them again.
On SQLite the erased bytes are overwritten on disk (secure delete, then the write-ahead log is
truncated); on PostgreSQL the touched tables are vacuumed after the commit.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from referly.audit.trail import forget_addresses
from referly.crm import normalise
from referly.crm.models import (
    Connection,
    Contact,
    Employment,
    ForgottenAddress,
    Interaction,
    InteractionKind,
    Merge,
    Signal,
    address_digest,
    person_digest,
)
from referly.crm.moves import person_key
from referly.errors import NotFound
from referly.referrals.models import Ask, Referral, ReferralTransition
from referly.scoring.models import NextBestAction, RelationshipStrength, SponsorScore

ERASED = "[erased]"
_PLUS_TAG = re.compile(r"\+[^@]*@")
APPS = ("crm", "referrals", "reports", "scoring", "admin", "outbox", "notices", "audit")
# Other records' own identities are never rewritten: a colleague called Joann keeps her e-mail.
IDENTITY_FIELDS = {"email", "domain", "first_name", "last_name", "company_name", "company_key"}


def find_person(email: str) -> Contact:
    found = Contact.objects.select_related("account").filter(email=normalise.email(email)).first()
    if found is None:
        raise NotFound(f"No contact with the e-mail {email}")
    return found


def identifiers(person: Contact, merged: list[dict[str, Any]]) -> list[str]:
    """The strings that identify the person, longest first, including those of the records ``merged`` into them."""
    found: set[str] = set()
    for p in [model_fields(person), *merged]:
        found |= {p.get("email") or "", (p.get("phone") or "").strip()}
        first, last = p.get("first_name") or "", p.get("last_name") or ""
        if first and last:
            found |= {f"{first} {last}", f"{last}, {first}", f"{last} {first}"}
        external = p.get("external_id") or ""
        if "@" in external:
            found.add(external)
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def model_fields(person: Contact) -> dict[str, Any]:
    return {f: getattr(person, f) for f in ("email", "phone", "first_name", "last_name", "external_id")}


def merged_into(contact_id: int) -> tuple[list[int], list[dict[str, Any]]]:
    """The ids of this contact and of every contact merged into it, directly or through a chain of merges,
    and the merged ones' snapshots."""
    chain, snapshots, queue = [contact_id], [], [contact_id]
    while queue:
        for merged_id, record in Merge.objects.filter(kind="contacts", kept_id=queue.pop()).values_list(
            "merged_id", "merged_record"
        ):
            snapshots.append(record if isinstance(record, dict) else {})
            if merged_id not in chain:
                chain.append(merged_id)
                queue.append(merged_id)
    return chain, snapshots


def forget(email: str, now: datetime) -> dict[str, int]:
    """Erase the person with this e-mail; returns how many rows were erased, deleted or scrubbed."""
    person = find_person(email)
    chain, snapshots = merged_into(person.pk)
    words = identifiers(person, snapshots)
    if connection.vendor == "sqlite":
        connection.cursor().execute("PRAGMA secure_delete = ON")
    done: dict[str, int] = {}
    # Capture (mail, calendars, LinkedIn) must never bring the person back: keep keyed digests of each address
    # (jane+deals@ is jane@ to capture) and, as LinkedIn rows mostly have no e-mail, of the name at each company
    # they worked at (before their stints are deleted).
    addresses = {person.email or "", *(m.get("email") or "" for m in snapshots)} - {""}
    digests = {address_digest(a) for a in addresses | {_PLUS_TAG.sub("@", a) for a in addresses}}
    name = person_key(person.first_name, person.last_name)
    if name:
        stints = Employment.objects.filter(contact=person).values_list("company_key", flat=True)
        digests |= {person_digest(name, company) for company in {person.account.name_key, *stints} if company}
    for digest in digests:
        ForgottenAddress.objects.get_or_create(digest=digest, defaults={"forgotten_at": now})
    done["employments deleted"] = Employment.objects.filter(contact=person).delete()[0]
    done["ties deleted"] = Connection.objects.filter(Q(from_contact=person) | Q(to_contact=person)).delete()[0]
    done["scores deleted"] = _delete_scores(person.pk)
    done["merge snapshots erased"] = Merge.objects.filter(kind="contacts", kept_id__in=chain).update(
        merged_record={"erased": True}
    )
    done["greetings scrubbed"] = _scrub_first_name(person)
    done["outbox messages erased"] = _erase_messages(chain, addresses)
    done["audit events erased"] = forget_addresses(addresses)  # only their kind and time stay
    Contact.objects.filter(pk=person.pk).update(
        first_name="",
        last_name="",
        email=None,
        phone="",
        title="",
        external_id=f"erased-{person.pk}" if person.external_id else person.external_id,
        do_not_contact=True,
        opted_out_of_asks=True,
        erased_at=now,
    )
    done["mentions scrubbed"] = _scrub(words)
    return done


def after_commit_cleanup() -> None:
    """Overwrite what the database keeps of erased values outside the live rows (outside any transaction)."""
    if connection.in_atomic_block:  # called inside someone's transaction: theirs to clean after commit
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.vendor == "postgresql":
            for model in _models():
                cursor.execute(f'VACUUM "{model._meta.db_table}"')


def _models() -> list[type[models.Model]]:
    return [m for label in APPS for m in apps.get_app_config(label).get_models()]


def _scrub_first_name(person: Contact) -> int:
    """Drafts and notes of the person's own referrals greet them by first name: erase it there too."""
    if len(person.first_name) < 2:
        return 0
    pattern = re.compile(rf"\b{re.escape(person.first_name)}\b", re.IGNORECASE)
    touched = 0
    rows = ReferralTransition.objects.filter(
        Q(referral__referrer_contact=person) | Q(referral__target_contact=person)
    ).values_list("pk", "note", "draft")
    for pk, note, draft in rows:
        cleaned = (pattern.sub(ERASED, note), pattern.sub(ERASED, draft))
        if cleaned != (note, draft):
            ReferralTransition.objects.filter(pk=pk).update(note=cleaned[0], draft=cleaned[1])
            touched += 1
    return touched


def _erase_messages(chain: list[int], addresses: set[str]) -> int:
    """The messages sent to the person keep their state and dates (counts are made of them), nothing of their text.
    A message not sent yet is cancelled by the next delivery pass (its contact is erased)."""
    message = apps.get_model("outbox", "OutboxMessage")
    erased = message.objects.filter(Q(contact_id__in=chain) | Q(to_address__in={a.lower() for a in addresses})).update(
        to_name="", to_address=ERASED, subject=ERASED, text=ERASED, html="", answer_line=""
    )
    apps.get_model("outbox", "InvalidAddress").objects.filter(address__in={a.lower() for a in addresses}).delete()
    return int(erased)


def _delete_scores(contact_id: int) -> int:
    deleted = RelationshipStrength.objects.filter(contact_id=contact_id).delete()[0]
    deleted += SponsorScore.objects.filter(contact_id=contact_id).delete()[0]
    gone = NextBestAction.objects.filter(Q(sponsor_id=contact_id) | Q(target_contact_id=contact_id)).delete()
    return deleted + gone[0]


def _scrub(words: list[str]) -> int:
    """Replace every mention of ``words`` in every text and JSON column of every Referly table."""
    if not words:
        return 0
    alternatives = "|".join(re.escape(w) for w in words)
    pattern = re.compile(rf"(?<![\w.@+-])(?:{alternatives})(?![\w@-])", re.IGNORECASE)  # whole words only
    scrubbed = 0
    for model in _models():
        for field in model._meta.concrete_fields:
            if field.name in IDENTITY_FIELDS:
                continue
            if isinstance(field, models.JSONField):
                scrubbed += _scrub_json(model, field.name, words, pattern)
            elif isinstance(field, (models.CharField, models.TextField)) and not field.choices:
                scrubbed += _scrub_text(model, field.name, words, pattern)
    return scrubbed


def _spellings(word: str) -> set[str]:
    """SQLite's LIKE ignores case for ASCII letters only: ask for the usual spellings of the rest."""
    return {word, word.lower(), word.upper(), word.title()}


def _scrub_text(model: type[models.Model], name: str, words: list[str], pattern: re.Pattern[str]) -> int:
    query = Q()
    for word in words:
        for form in _spellings(word):
            query |= Q(**{f"{name}__icontains": form})
    touched = 0
    for pk, value in model._default_manager.filter(query).values_list("pk", name):
        cleaned = pattern.sub(ERASED, value)
        if cleaned != value:
            model._default_manager.filter(pk=pk).update(**{name: cleaned})
            touched += 1
    return touched


def _scrub_json(model: type[models.Model], name: str, words: list[str], pattern: re.Pattern[str]) -> int:
    query = Q()
    for word in words:  # JSON text may hold the word as it is or with its non-ASCII letters escaped
        for form in {f for s in _spellings(word) for f in (s, json.dumps(s)[1:-1])}:
            query |= Q(as_text__icontains=form)
    touched = 0
    for pk, value in (
        model._default_manager.annotate(as_text=Cast(name, TextField())).filter(query).values_list("pk", name)
    ):
        cleaned = _scrub_value(value, pattern)
        if cleaned != value:
            model._default_manager.filter(pk=pk).update(**{name: cleaned})
            touched += 1
    return touched


def _scrub_value(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub_value(v, pattern) for v in value]
    if isinstance(value, dict):
        return {pattern.sub(ERASED, k): _scrub_value(v, pattern) for k, v in value.items()}
    return value


def export_person(email: str) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data."""
    person = find_person(email)
    fields = ("first_name", "last_name", "email", "phone", "title", "seniority", "role", "source_system")
    referrals = Referral.objects.filter(Q(referrer_contact=person) | Q(target_contact=person)).select_related(
        "referrer_account", "target_account"
    )
    return {
        "contact": {
            "id": person.pk,
            **{f: getattr(person, f) for f in fields},
            "external_id": person.external_id,
            "account": person.account.name,
            "do_not_contact": person.do_not_contact,
            "opted_out_of_asks": person.opted_out_of_asks,
        },
        "employments": list(
            Employment.objects.filter(contact=person).values("company_name", "title", "started_on", "ended_on")
        ),
        "ties": list(
            Connection.objects.filter(Q(from_contact=person) | Q(to_contact=person)).values(
                "kind", "provenance", "confidence", "since"
            )
        ),
        "interactions": [
            {"teammate": teammate, "kind": InteractionKind(kind).label, "at": at}
            for teammate, kind, at in Interaction.objects.filter(contact=person)
            .order_by("occurred_at")
            .values_list("teammate__name", "kind", "occurred_at")
        ],
        "signals": list(
            Signal.objects.filter(contact=person).values("kind", "occurred_on", "nps_score", "metric", "detail")
        ),
        "asks": list(Ask.objects.filter(contact=person).values("kind", "asked_at", "outcome", "override_reason")),
        "messages": list(
            apps.get_model("outbox", "OutboxMessage")
            .objects.filter(Q(contact=person) | Q(to_address=(person.email or "").lower()))
            .order_by("created_at")
            .values("from_address", "to_address", "subject", "text", "state", "created_at", "sent_at", "answered_at")
        ),
        "referrals": [
            {
                "id": r.pk,
                "as": "referrer" if r.referrer_contact_id == person.pk else "referred person",
                "from_account": r.referrer_account.name,
                "to_account": r.target_account.name,
                "stage": r.stage,
                "created_at": r.created_at,
                "consent_confirmed_at": r.consent_confirmed_at,
            }
            for r in referrals
        ],
    }
