"""Job changes: a known contact seen at a new employer ends one stint, starts the next, and becomes a signal.

One rule for every way Referly learns of a move (a re-import, a captured message, a LinkedIn export):

- the contact's current stint at the old account ends on the day of the move (a contact with no
  employment history gets one made from their account, with no start date: nobody told us when);
- a stint at the new account starts that day, and the contact now belongs to the new account;
- a ``job_change`` signal at the new account says where they came from and how we know;
- the former colleagues the ended stint makes (``colleagues.py``'s rule) are stored at once, so the
  next scoring run finds the warm path from the old account into the new one.

A move is never made for an erased contact, nor to the account they are at, nor dated on or before the
start of their current stint: older evidence (mail from an address they since left) never undoes a
newer move. The same move twice records one signal. Services never commit: the caller does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from django.db.models import F, Q

from referly.crm.colleagues import Job, former_colleagues
from referly.crm.models import Account, Connection, ConnectionKind, Contact, Employment, Signal, SignalKind


def move_contact(contact: Contact, new_account: Account, on: date, *, provenance: str) -> bool:
    """Move ``contact`` to ``new_account`` as of ``on``; ``provenance`` says how we know (for the signal).

    Returns whether the contact moved (False: erased, already there, or the move predates their current stint).
    """
    if contact.erased_at is not None or contact.account_id == new_account.pk:
        return False
    old: Account = contact.account
    ongoing = Employment.objects.filter(contact=contact, ended_on__isnull=True)
    stint = (
        ongoing.filter(Q(account=old) | Q(account__isnull=True, company_key=old.name_key))
        .order_by(F("started_on").desc(nulls_last=True), "-id")
        .first()
    )
    if stint is not None and stint.started_on is not None and on <= stint.started_on:
        return False
    if stint is None:
        stint = Employment(
            contact=contact, company_name=old.name, company_key=old.name_key, account=old, title=contact.title
        )
    stint.ended_on = on
    stint.save()
    if not ongoing.filter(account=new_account).exists():
        Employment.objects.create(
            contact=contact,
            company_name=new_account.name,
            company_key=new_account.name_key,
            account=new_account,
            started_on=on,
        )
    contact.account = new_account
    contact.save(update_fields=["account", "updated_at"])
    signal = Signal.objects.filter(kind=SignalKind.JOB_CHANGE, contact=contact, account=new_account, occurred_on=on)
    if not signal.exists():
        Signal.objects.create(
            kind=SignalKind.JOB_CHANGE,
            account=new_account,
            contact=contact,
            occurred_on=on,
            detail=f"from {old} ({provenance})",
        )
    _store_former_colleagues(contact.pk, stint, on)
    return True


def _store_former_colleagues(contact_id: int, stint: Employment, on: date) -> int:
    """The former-colleague ties of the stint just ended, by the same rule and in the same words as
    ``services.refresh_former_colleagues`` (which re-derives them all identically). Returns how many are new."""
    if stint.started_on is None or not stint.company_key:
        return 0
    jobs = [
        Job(*row)
        for row in Employment.objects.filter(company_key=stint.company_key).values_list(
            "contact_id", "company_key", "company_name", "started_on", "ended_on"
        )
    ]
    ties = [t for t in former_colleagues(jobs, on) if contact_id in (t.low_contact_id, t.high_contact_id)]
    known = set(
        Connection.objects.filter(
            Q(from_contact_id=contact_id) | Q(to_contact_id=contact_id), kind=ConnectionKind.FORMER_COLLEAGUES
        ).values_list("from_contact_id", "to_contact_id")
    )
    new = [
        Connection(
            from_contact_id=t.low_contact_id,
            to_contact_id=t.high_contact_id,
            kind=ConnectionKind.FORMER_COLLEAGUES,
            confidence=t.confidence,
            provenance=f"Worked together at {t.company_name}"[:255],
            since=t.since,
        )
        for t in ties
        if (t.low_contact_id, t.high_contact_id) not in known
    ]
    Connection.objects.bulk_create(new)
    return len(new)


def person_key(first: str, last: str) -> str:
    """A person's name without accents, case or extra spaces ('Hélène  MÜLLER' -> 'helene muller'); empty
    unless both names are given. Letters with no ASCII form are kept (``normalise.ascii_fold`` would drop
    them, leaving many names empty or alike)."""
    parts = [" ".join(_fold(p).split()) for p in (first, last)]
    return " ".join(parts) if all(parts) else ""


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def namesake_elsewhere(namesakes: Sequence[tuple[int, int]], account_id: int) -> int | None:
    """The contact an unknown person seen at ``account_id`` is, when that is a job change: the only contact
    of that name (``namesakes``: (contact id, account id) of each), working at another account. Two
    namesakes are never guessed between, and one at the same account is a second address, not a move."""
    if len(namesakes) != 1:
        return None
    contact_id, at = namesakes[0]
    return contact_id if at != account_id else None
