"""A CRM's own activity columns on contacts ("Last Activity Date", "Last Contacted") as touches.

Each distinct day a contact's row gives becomes one interaction of kind ``crm_activity`` between the
contact and its owner (else its account's owner), at the earliest time given for that day. Nothing is
invented: no date, no touch; no owner, no touch (and a note says how many). A count of activities
("Number of Sales Activities") has no dates, so it is reported, not stored. The interaction's unique key
makes a re-import add nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from referly.crm.models import Account, InteractionKind
from referly.ingest.directory import Directory
from referly.ingest.mapping import ReferenceRule, Section
from referly.ingest.outcome import FileOutcome
from referly.ingest.rows import MappedRow, RowError, shown
from referly.ingest.touches import Touch, insert_touches
from referly.ingest.values import BadValue

DATES = ("last_activity_at", "last_contacted_at")


def resolve_owner(row: MappedRow, section: Section, directory: Directory, file: str) -> RowError | None:
    """Find the teammate the row's owner column names, before anything of the row is written."""
    raw = row.extra.pop("owner", None)
    if raw is None:
        return None
    try:
        row.extra["owner_id"] = directory.resolve("teammates", raw, section.references.get("owner", ReferenceRule()))
    except BadValue as exc:
        return RowError(file, row.line, row.columns.get("owner", "owner"), shown(raw), f"owner {exc}")
    return None


def days_of(row: MappedRow) -> list[datetime]:
    """The row's activity times, one per day: the earliest of that day."""
    by_day: dict[date, datetime] = {}
    for name in DATES:
        at = row.extra.get(name)
        if isinstance(at, datetime) and (at.date() not in by_day or at < by_day[at.date()]):
            by_day[at.date()] = at
    return sorted(by_day.values())


def record_activity(written: list[tuple[MappedRow, int]], outcome: FileOutcome, used: dict[str, str]) -> None:
    """Write the touches of the contacts just imported; say what was recorded and what was not."""
    dated = [(row, pk) for row, pk in written if days_of(row)]
    accounts = {row.values.get("account_id") for row, _ in dated if "owner_id" not in row.extra}
    owners = dict(Account.objects.filter(pk__in=accounts - {None}).values_list("id", "owner_id"))
    touches: list[Touch] = []
    ownerless = 0
    for row, pk in dated:
        account = row.values.get("account_id")
        teammate = row.extra.get("owner_id") or (owners.get(account) if account is not None else None)
        if teammate is None:
            ownerless += 1
            continue
        touches += [(pk, int(teammate), InteractionKind.CRM_ACTIVITY.value, at) for at in days_of(row)]
    unique = sorted(set(touches))
    created = insert_touches(unique) if unique else 0
    outcome.touches += created
    if unique:
        columns = " and ".join(repr(used[n]) for n in DATES if n in used)
        outcome.notes.append(
            f"{len(unique):,} CRM activity dates ({columns}) recorded as touches, {created:,} of them new "
            "(weaker evidence than a logged e-mail or meeting)"
        )
    if ownerless:
        people = "1 contact has" if ownerless == 1 else f"{ownerless:,} contacts have"
        outcome.notes.append(f"{people} activity dates but no owner, nor an account owner: not recorded")
    counted = [row.extra["activity_count"] for row, _ in written if row.extra.get("activity_count") is not None]
    if counted:
        outcome.notes.append(
            f"{used.get('activity_count', 'activity_count')!r} read for {len(counted):,} contacts "
            f"({sum(counted):,} activities in all) but not stored: a count has no dates to make touches of"
        )
