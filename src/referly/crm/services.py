"""Writes to the system of record that go beyond one form. Services never commit: the caller does."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from referly.crm import normalise
from referly.crm.colleagues import Job, former_colleagues
from referly.crm.models import Account, Connection, ConnectionKind, Contact, Employment, Teammate
from referly.errors import Conflict, InvalidInput
from referly.kit.bulk import insert_rows

M = TypeVar("M", bound=models.Model)


def refresh_former_colleagues(today: date, *, stamped_at: datetime) -> int:
    """Re-derive former-colleague ties from employment histories; imported ties (with an external id) stay."""
    Connection.objects.filter(kind=ConnectionKind.FORMER_COLLEAGUES, external_id__isnull=True).delete()
    jobs = (
        Job(*row)
        for row in Employment.objects.values_list(
            "contact_id", "company_key", "company_name", "started_on", "ended_on"
        ).iterator(chunk_size=20_000)
    )
    ties = former_colleagues(jobs, today)
    return insert_rows(
        Connection,
        {
            "from_contact_id": [t.low_contact_id for t in ties],
            "to_contact_id": [t.high_contact_id for t in ties],
            "kind": ConnectionKind.FORMER_COLLEAGUES.value,
            "confidence": [t.confidence for t in ties],
            "provenance": [f"Worked together at {t.company_name}"[:255] for t in ties],
            "since": [t.since.isoformat() for t in ties],
        },
        stamped_at=stamped_at,
    )


def add_record(record: M) -> M:
    """Validate and insert one record; a refused value raises ``InvalidInput`` and writes nothing.

    Natural keys are normalised first (e-mails, domains, company names), so the uniqueness
    rules hold whatever the spelling. The savepoint keeps the caller's transaction usable.
    """
    normalise_record(record)
    try:
        record.full_clean()
    except ValidationError as exc:
        raise InvalidInput(_explain_validation(record, exc)) from None
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(f"{record._meta.verbose_name} refused by the database: {exc}".capitalize()) from None
    return record


def normalise_record(record: models.Model) -> None:
    if isinstance(record, Contact | Teammate) and record.email:
        record.email = normalise.email(record.email)
    if isinstance(record, Account):
        record.name_key = normalise.company_key(record.name)
        if record.domain:
            record.domain = normalise.domain(record.domain)


def _explain_validation(record: models.Model, exc: ValidationError) -> str:
    label = str(record._meta.verbose_name).capitalize()
    problems = []
    for field, messages in exc.message_dict.items():
        value = getattr(record, field, None) if field != NON_FIELD_ERRORS else None
        shown = f" {value!r}" if value not in (None, "") else ""
        reason = " ".join(str(m).rstrip(".") for m in messages)
        problems.append(reason if field == NON_FIELD_ERRORS else f"{field}{shown}: {reason}")
    return f"{label} not saved. " + "; ".join(problems)
