"""Writes to the system of record that go beyond one form. Services never commit: the caller does."""

from __future__ import annotations

from datetime import date, datetime

from referly.crm.colleagues import Job, former_colleagues
from referly.crm.models import Connection, ConnectionKind, Employment
from referly.ingest.bulk import insert_rows


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
