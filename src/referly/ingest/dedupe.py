"""Likely duplicates, listed for a person to decide; and merges that lose nothing.

Exact duplicates never reach the database (imports match on external id and natural keys).
What remains are records a person should look at: accounts with the same or nearly the same
name, and contacts with the same name at the same account under two e-mails. A merge moves
every related row (interactions, signals, referrals, asks, credits) to the kept record,
fills the kept record's blanks from the other, and records the merge in the audit trail.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Exists, OuterRef
from django.forms.models import model_to_dict

from referly.crm.models import Account, Connection, Contact, Interaction, Merge
from referly.errors import Conflict, InvalidInput, NotFound

SIMILAR = 0.92  # difflib ratio above which two company names are "nearly the same"


@dataclass(frozen=True)
class Candidate:
    kind: str
    first_id: int
    second_id: int
    first: str
    second: str
    reason: str


def likely_duplicates(kind: str) -> list[Candidate]:
    if kind == "accounts":
        return _accounts()
    if kind == "contacts":
        return _contacts()
    raise InvalidInput(f"Duplicates are looked for among accounts and contacts, not {kind}")


def _accounts() -> list[Candidate]:
    rows = list(Account.objects.order_by("id").values_list("id", "name", "name_key"))
    found: list[Candidate] = []
    by_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, name, key in rows:
        by_key[key].append((pk, name))
    for key, same in by_key.items():
        if key:
            found += [Candidate("accounts", same[0][0], pk, same[0][1], name, "same name") for pk, name in same[1:]]
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in by_key:
        if len(key) >= 4:
            blocks[key[:3]].append(key)
    for keys in blocks.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR:
                    (pa, na), (pb, nb) = by_key[a][0], by_key[b][0]
                    found.append(Candidate("accounts", pa, pb, na, nb, "nearly the same name"))
    return found


def _contacts() -> list[Candidate]:
    groups: dict[tuple[int, str, str], list[tuple[int, str]]] = defaultdict(list)
    for pk, account, first, last, email in (
        Contact.objects.exclude(first_name="", last_name="")
        .values_list("id", "account_id", "first_name", "last_name", "email")
        .iterator(chunk_size=50_000)
    ):
        groups[(account, first.casefold().strip(), last.casefold().strip())].append((pk, email or "no e-mail"))
    return [
        Candidate("contacts", same[0][0], pk, same[0][1], email, "same name at the same account")
        for same in groups.values()
        for pk, email in same[1:]
    ]


def merge(kind: str, keep_id: int, other_id: int, *, now: datetime, reason: str = "") -> Merge:
    """Merge record ``other_id`` into ``keep_id``. The caller owns the transaction."""
    model: type[Account] | type[Contact] = {"accounts": Account, "contacts": Contact}.get(kind)  # type: ignore[assignment]
    if model is None:
        raise InvalidInput(f"Only accounts and contacts can be merged, not {kind}")
    if keep_id == other_id:
        raise InvalidInput("A record cannot be merged into itself")
    records = {r.pk: r for r in model._default_manager.select_for_update().filter(pk__in=[keep_id, other_id])}
    for pk in (keep_id, other_id):
        if pk not in records:
            raise NotFound(f"No {kind[:-1]} with id {pk}")
    keep, other = records[keep_id], records[other_id]
    snapshot = model_to_dict(other)
    if kind == "accounts":
        from referly.referrals.models import Referral

        if Referral.objects.filter(referrer_account__in=[keep, other], target_account__in=[keep, other]).exists():
            raise Conflict("One of these accounts referred the other: merging them would erase that referral")
    moved = _move_related(model, keep, other)
    blanks = _fill_blanks(keep, other)
    other.delete()
    if blanks:
        keep.save(update_fields=blanks)
    from referly.referrals.services import recompute_credit

    recompute_credit()  # two referrals may now name one target: the credit rules decide again
    return Merge.objects.create(
        kind=kind,
        kept_id=keep_id,
        merged_id=other_id,
        merged_record=_jsonable(snapshot),
        moved=moved,
        reason=reason,
        merged_at=now,
    )


def _move_related(model: type[models.Model], keep: Any, other: Any) -> dict[str, int]:
    moved: dict[str, int] = {}
    if model is Contact:
        same_touch = Interaction.objects.filter(
            contact_id=keep.pk,
            teammate_id=OuterRef("teammate_id"),
            occurred_at=OuterRef("occurred_at"),
            kind=OuterRef("kind"),
        )
        Interaction.objects.filter(contact_id=other.pk).filter(Exists(same_touch)).delete()
        moved["connections"] = _move_connections(keep.pk, other.pk)
    # include_hidden: interactions point at contacts through a hidden relation (related_name "+").
    relations = [f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, models.ForeignObjectRel)]
    for relation in relations:
        if relation.related_model is Connection:
            continue
        related: type[models.Model] = relation.related_model  # type: ignore[assignment]
        field = relation.field.name
        count = related._default_manager.filter(**{field: other}).update(**{field: keep})
        if count:
            moved[str(related._meta.verbose_name_plural)] = moved.get(str(related._meta.verbose_name_plural), 0) + count
    return moved


def _move_connections(keep: int, other: int) -> int:
    count = 0
    for tie in Connection.objects.filter(models.Q(from_contact_id=other) | models.Q(to_contact_id=other)):
        ends = [keep if x == other else x for x in (tie.from_contact_id, tie.to_contact_id)]
        if ends[1] is not None and ends[0] == ends[1]:
            tie.delete()
            continue
        low, high = (min(ends), max(ends)) if ends[1] is not None else (ends[0], None)  # type: ignore[type-var]
        same: dict[str, Any] = {"from_contact_id": low, "to_contact_id": high, "teammate_id": tie.teammate_id}
        clash = Connection.objects.filter(kind=tie.kind, **same).exclude(pk=tie.pk)
        if clash.exists():
            tie.delete()
            continue
        Connection.objects.filter(pk=tie.pk).update(from_contact_id=low, to_contact_id=high)
        count += 1
    return count


def _fill_blanks(keep: Any, other: Any) -> list[str]:
    """Fields empty on the kept record take the other's value; unique ones are released first."""
    names = [
        f.name for f in keep._meta.concrete_fields if not f.primary_key and f.name not in ("created_at", "updated_at")
    ]
    taken = {
        n: getattr(other, n) for n in names if getattr(keep, n) in (None, "") and getattr(other, n) not in (None, "")
    }
    unique = [n for n in taken if keep._meta.get_field(n).unique or n == "external_id"]
    if unique:
        type(other)._default_manager.filter(pk=other.pk).update(**{n: None for n in unique})
    for name, value in taken.items():
        setattr(keep, name, value)
    return list(taken)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    import json

    result: dict[str, Any] = json.loads(json.dumps(values, cls=DjangoJSONEncoder))
    return result
