"""What an import warns about without refusing anything: absent columns Referly needs, columns it does not read.

Pure: each check takes the file's header, the columns the mapping found and the checked rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from referly.crm.models import OpportunityStage
from referly.ingest.mapping import Section
from referly.ingest.outcome import ImportWarning
from referly.ingest.rows import MappedRow

UNKNOWN_SHOWN = 12


@dataclass(frozen=True)
class Need:
    """An optional field that feeds something Referly needs, and what its absence costs, counted."""

    label: str  # how the field is called in a sentence ("company")
    one: str  # the cost for one record affected
    many: str  # the cost for n records, with {n}
    counts: Callable[[MappedRow], bool] = lambda row: True


def _won(row: MappedRow) -> bool:
    return row.values.get("stage") == OpportunityStage.WON


NEEDS: dict[str, dict[str, Need]] = {
    "opportunities": {
        "account": Need(
            "company",
            "1 won deal will not make its company a client",
            "{n} won deals will not make their companies clients",
            _won,
        ),
        "amount": Need(
            "amount",
            "1 deal will have no amount: won revenue and pipeline value leave it out",
            "{n} deals will have no amount: won revenue and pipeline value leave them out",
        ),
        "created_on": Need(
            "create date",
            "1 deal will have no create date: time to close and attribution windows leave it out",
            "{n} deals will have no create date: time to close and attribution windows leave them out",
        ),
        "source": Need(
            "source",
            "1 deal will have no source: a referral-sourced deal cannot be told from the rest",
            "{n} deals will have no source: referral-sourced deals cannot be told from the rest",
        ),
    },
    "contacts": {
        "title": Need(
            "title",
            "1 contact will have no title: seniority and sponsor fit cannot be judged",
            "{n} contacts will have no title: seniority and sponsor fit cannot be judged",
        ),
    },
    "accounts": {
        "lifecycle": Need(
            "lifecycle",
            "1 account will be a prospect: a client cannot be told from the rest",
            "{n} accounts will all be prospects: clients cannot be told from the rest",
        ),
    },
}
KIND_WORD = {"opportunities": "deals"}


def absent_needs(
    kind: str, file: str, used: dict[str, str], section: Section, rows: list[MappedRow]
) -> list[ImportWarning]:
    """A warning per needed field no column feeds (and no constant fills), with the records it affects."""
    found: list[ImportWarning] = []
    for name, need in NEEDS.get(kind, {}).items():
        if name in used or name in section.constants:
            continue
        n = sum(1 for row in rows if need.counts(row))
        cost = need.one if n == 1 else need.many.format(n=f"{n:,}")
        looked = section.candidates(name) or (name,)
        message = f"{KIND_WORD.get(kind, kind)}: no {need.label} column ({' or '.join(looked)}) — {cost}"
        found.append(ImportWarning(file, "missing_column", message, field=name, columns=looked))
    return found


def unread_columns(
    file: str, header: list[str], used: dict[str, str], section: Section, field_names: list[str]
) -> list[ImportWarning]:
    """One warning listing the columns no field reads, each with the closest name of a field left without one."""
    read = set(used.values()) | set(section.custom.values())
    unread = [c for c in header if c and c not in read]
    if not unread:
        return []
    pool: dict[str, str] = {}  # column name a field may go by -> the field
    for name in field_names:
        if name not in used:
            for candidate in (*section.candidates(name), name):
                pool.setdefault(candidate, name)
    shown = []
    for column in unread[:UNKNOWN_SHOWN]:
        close = closest(column, list(pool))
        hint = f" (did you mean {close!r}, for {pool[close]}?)" if close else ""
        shown.append(f"{column!r}{hint}")
    more = f" and {len(unread) - UNKNOWN_SHOWN:,} more" if len(unread) > UNKNOWN_SHOWN else ""
    noun = "column is" if len(unread) == 1 else "columns are"
    message = f"{len(unread):,} {noun} not read: {', '.join(shown)}{more}"
    return [ImportWarning(file, "unknown_columns", message, columns=tuple(unread))]


def closest(column: str, names: list[str]) -> str | None:
    """The name most like ``column``: one that holds it (or that it holds) as words, else difflib's nearest."""
    words = column.casefold().strip()
    if len(words) >= 4:
        holding = [n for n in names if words in n.casefold() or (len(n) >= 4 and n.casefold() in words)]
        if holding:
            return min(holding, key=lambda n: abs(len(n) - len(column)))
    found = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_stages(file: str, stages: dict[str, int]) -> list[ImportWarning]:
    if not stages:
        return []
    listed = ", ".join(f"{stage!r} ({n:,})" for stage, n in sorted(stages.items()))
    n = sum(stages.values())
    deals = "1 deal has a stage" if n == 1 else f"{n:,} deals have stages"
    message = (
        f"deals: {deals} Referly does not know, imported as open (prospecting): {listed}; "
        "map each once in [opportunities.values.stage]"
    )
    return [ImportWarning(file, "unknown_stages", message, field="stage", columns=tuple(sorted(stages)))]
