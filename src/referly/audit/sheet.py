"""The audit trail as a CSV file, one event a row, every cell neutralised for spreadsheets."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import IO

from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.kit.sheets import SafeWriter

COLUMNS = ("at", "kind", "actor", "ip", "subject", "detail")


def row(event: AuditEvent) -> list[str]:
    return [
        timezone.localtime(event.at).isoformat(timespec="seconds"),
        event.kind,
        event.actor_label,
        event.ip or "",
        event.subject,
        json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
    ]


def write(handle: IO[str], found: Iterable[AuditEvent]) -> int:
    """Write the header and every event to ``handle``; how many events were written."""
    writer = SafeWriter(handle)
    writer.writerow(COLUMNS)
    count = 0
    for event in found:
        writer.writerow(row(event))
        count += 1
    return count


def chunks(found: Iterable[AuditEvent], size: int = 500) -> Iterator[str]:
    """The CSV text, ``size`` events at a time (for a streamed download of a long trail)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(COLUMNS)
    for n, event in enumerate(found, start=1):
        writer.writerow(row(event))
        if n % size == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
