"""What an import warns about without refusing anything: absent columns Referly needs, columns it does not read.

Pure: each check takes the file's header, the columns the mapping found and the checked rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as noop
from django.utils.translation import ngettext

from referly.crm.models import OpportunityStage
from referly.ingest.mapping import Section
from referly.ingest.outcome import ImportWarning
from referly.ingest.rows import MappedRow
from referly.kit.numbers import counted

UNKNOWN_SHOWN = 12


@dataclass(frozen=True)
class Need:
    """An optional field that feeds something Referly needs, and what its absence costs, counted."""

    label: str  # how the field is called in a sentence ("company"); each text is translated where it is said
    one: str  # the cost for one record affected
    many: str  # the cost for n records, with %(n)s
    counts: Callable[[MappedRow], bool] = lambda row: True


def _won(row: MappedRow) -> bool:
    return row.values.get("stage") == OpportunityStage.WON


NEEDS: dict[str, dict[str, Need]] = {
    "opportunities": {
        "account": Need(
            noop("company"),
            noop("1 won deal will not make its company a client"),
            noop("%(n)s won deals will not make their companies clients"),
            _won,
        ),
        "amount": Need(
            noop("amount"),
            noop("1 deal will have no amount: won revenue and pipeline value leave it out"),
            noop("%(n)s deals will have no amount: won revenue and pipeline value leave them out"),
        ),
        "created_on": Need(
            noop("create date"),
            noop("1 deal will have no create date: time to close and attribution windows leave it out"),
            noop("%(n)s deals will have no create date: time to close and attribution windows leave them out"),
        ),
        "source": Need(
            noop("source"),
            noop("1 deal will have no source: a referral-sourced deal cannot be told from the rest"),
            noop("%(n)s deals will have no source: referral-sourced deals cannot be told from the rest"),
        ),
    },
    "contacts": {
        "title": Need(
            noop("title"),
            noop("1 contact will have no title: seniority and sponsor fit cannot be judged"),
            noop("%(n)s contacts will have no title: seniority and sponsor fit cannot be judged"),
        ),
    },
    "accounts": {
        "lifecycle": Need(
            noop("lifecycle"),
            noop("1 account will be a prospect: a client cannot be told from the rest"),
            noop("%(n)s accounts will all be prospects: clients cannot be told from the rest"),
        ),
    },
}
KIND_WORD = {"opportunities": noop("deals"), "contacts": noop("contacts"), "accounts": noop("accounts")}


def absent_needs(
    kind: str, file: str, used: dict[str, str], section: Section, rows: list[MappedRow]
) -> list[ImportWarning]:
    """A warning per needed field no column feeds (and no constant fills), with the records it affects."""
    found: list[ImportWarning] = []
    for name, need in NEEDS.get(kind, {}).items():
        if name in used or name in section.constants:
            continue
        n = sum(1 for row in rows if need.counts(row))
        cost = ngettext(need.one, need.many, n) % {"n": counted(n)}
        looked = section.candidates(name) or (name,)
        message = _("%(kind)s: no %(label)s column (%(looked)s) — %(cost)s") % {
            "kind": _(KIND_WORD.get(kind, kind)),
            "label": _(need.label),
            "looked": _(" or ").join(looked),
            "cost": cost,
        }
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
        hint = (
            _(" (did you mean %(close)s, for %(field)s?)") % {"close": repr(close), "field": pool[close]}
            if close
            else ""
        )
        shown.append(f"{column!r}{hint}")
    left = len(unread) - UNKNOWN_SHOWN
    more = _(" and %(n)s more") % {"n": counted(left)} if left > 0 else ""
    message = ngettext(
        "%(n)s column is not read: %(columns)s%(more)s", "%(n)s columns are not read: %(columns)s%(more)s", len(unread)
    ) % {"n": counted(len(unread)), "columns": ", ".join(shown), "more": more}
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
    listed = ", ".join(f"{stage!r} ({counted(n)})" for stage, n in sorted(stages.items()))
    n = sum(stages.values())
    message = ngettext(
        "deals: %(n)s deal has a stage Referly does not know, imported as open (prospecting): %(listed)s; "
        "map each once in [opportunities.values.stage]",
        "deals: %(n)s deals have stages Referly does not know, imported as open (prospecting): %(listed)s; "
        "map each once in [opportunities.values.stage]",
        n,
    ) % {"n": counted(n), "listed": listed}
    return [ImportWarning(file, "unknown_stages", message, field="stage", columns=tuple(sorted(stages)))]
