"""Create or update records from checked rows, matched by external id or by their natural key.

A contact the file puts at another account than the one we know them at (matched by external id or
e-mail) has changed jobs: ``crm.moves`` ends the old stint, starts the new one and records the signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from referly.crm import normalise
from referly.crm.models import Account, Contact, OpportunityStageChange
from referly.crm.moves import move_contact
from referly.ingest.directory import Directory
from referly.ingest.kinds import KindSpec
from referly.ingest.mapping import ReferenceRule, Section
from referly.ingest.outcome import FileOutcome
from referly.ingest.rows import MappedRow, RowError, shown
from referly.ingest.values import BadValue
from referly.referrals.models import ReferralTransition

Key = tuple[Any, ...]
# Keys that identify a record, most specific first. A tuple is a composite key.
NATURAL_KEYS: dict[str, list[tuple[str, ...]]] = {
    "teammates": [("email",), ("name",)],
    "accounts": [("domain",), ("name_key",)],
    "contacts": [("email",), ("account_id", "first_name", "last_name")],
    "opportunities": [("account_id", "name")],
    "signals": [("account_id", "contact_id", "kind", "occurred_on")],
    "connections": [("from_contact_id", "to_contact_id", "teammate_id", "kind")],
    "referrals": [("referrer_contact_id", "target_account_id", "created_at")],
}
SELF_REFERENCES = {("teammates", "manager")}
BATCH = 1_000


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def record_keys(kind: str, values: dict[str, Any], source_system: str) -> list[Key]:
    keys: list[Key] = []
    if values.get("external_id"):
        keys.append(("external_id", source_system, values["external_id"]))
    for fields in NATURAL_KEYS[kind]:
        parts = tuple(_norm(values.get(f)) for f in fields)
        if len(fields) == 1 and parts[0] in (None, ""):
            continue
        if kind == "contacts" and len(fields) > 1 and not (values.get("first_name") or values.get("last_name")):
            continue
        keys.append((fields, *parts))
    return keys


class RecordWriter:
    def __init__(self, spec: KindSpec, section: Section, directory: Directory, now: datetime) -> None:
        self.spec, self.section, self.directory, self.now = spec, section, directory, now
        self.model: type[models.Model] = spec.model
        self.source_system = directory.source_system

    # -- references -------------------------------------------------------------------------
    def resolve(self, row: MappedRow, file: str) -> RowError | None:
        for ref in self.spec.references:
            raw = row.values.pop(ref.name, None)
            if raw is None or (self.spec.name, ref.name) in SELF_REFERENCES:
                if raw is not None:
                    row.custom[f"__{ref.name}"] = raw
                continue
            try:
                row.values[f"{ref.name}_id"] = self.directory.resolve(ref.ref, raw, self._rule(ref.name))
            except BadValue as exc:
                return RowError(file, row.line, row.columns.get(ref.name, ref.name), shown(raw), f"{ref.name} {exc}")
        return self._complete(row, file)

    def _rule(self, name: str) -> ReferenceRule:
        return self.section.references.get(name, ReferenceRule())

    def _complete(self, row: MappedRow, file: str) -> RowError | None:
        values = row.values
        if self.spec.name == "accounts":
            values["name_key"] = normalise.company_key(values["name"])
        if self.spec.name == "connections":
            other = [values.get("to_contact_id"), values.get("teammate_id")]
            if sum(x is not None for x in other) != 1:
                return RowError(file, row.line, "", "", "a connection links a contact to one contact or one teammate")
            low, high = values["from_contact_id"], values.get("to_contact_id")
            if high is not None:
                if low == high:
                    return RowError(file, row.line, "", "", "a contact cannot be connected to themselves")
                values["from_contact_id"], values["to_contact_id"] = min(low, high), max(low, high)
            values.setdefault("teammate_id", None)
            values.setdefault("to_contact_id", None)
            values["provenance"] = values.get("provenance") or f"Imported from {file}"
            values["confidence"] = 0.5 if values.get("confidence") is None else values["confidence"]
        if self.spec.name == "referrals":
            if values.get("referrer_account_id") is None:
                values["referrer_account_id"] = Contact.objects.values_list("account_id", flat=True).get(
                    pk=values["referrer_contact_id"]
                )
            if values["referrer_account_id"] == values["target_account_id"]:
                return RowError(
                    file,
                    row.line,
                    row.columns.get("target_account", ""),
                    "",
                    "a referral targets another account than the referrer's",
                )
        return None

    # -- matching and writing ---------------------------------------------------------------
    def existing(self) -> dict[Key, int]:
        fields = {f for keys in NATURAL_KEYS[self.spec.name] for f in keys}
        index: dict[Key, int] = {}
        for record in self.model._default_manager.values("id", *self._external_fields(), *sorted(fields)).iterator(
            chunk_size=50_000
        ):
            values = dict(record)
            if values.get("source_system", self.source_system) != self.source_system:
                values["external_id"] = None
            for key in record_keys(self.spec.name, values, self.source_system):
                index.setdefault(key, record["id"])
        return index

    def _external_fields(self) -> list[str]:
        names = {f.name for f in self.model._meta.concrete_fields}
        return [n for n in ("external_id", "source_system") if n in names]

    def write(self, rows: list[MappedRow], outcome: FileOutcome) -> list[tuple[MappedRow, int]]:
        """Create or update the rows; returns each row written (or left unchanged) with its record's id."""
        index = self.existing()
        seen: dict[Key, MappedRow] = {}
        creates: list[MappedRow] = []
        updates: dict[int, MappedRow] = {}
        for row in rows:
            keys = record_keys(self.spec.name, row.values, self.source_system)
            earlier = next((seen[k] for k in keys if k in seen), None)
            if earlier is not None:
                if earlier.values == row.values:
                    outcome.duplicates += 1
                else:
                    outcome.errors.append(
                        RowError(
                            outcome.file,
                            row.line,
                            "",
                            "",
                            f"the same record as line {earlier.line}, with other values",
                        )
                    )
                continue
            for k in keys:
                seen[k] = row
            found = next((index[k] for k in keys if k in index), None)
            if found is None:
                creates.append(row)
            else:
                updates[found] = row
        self._update(updates, outcome)
        created = self._create(creates, outcome)
        written = [*zip(creates, created, strict=True), *((row, pk) for pk, row in updates.items())]
        self._link_self_references(written, outcome)
        return written

    def _fields_of(self, row: MappedRow) -> dict[str, Any]:
        values = {k: v for k, v in row.values.items() if not k.startswith("__")}
        if self.source_system and "source_system" in {f.name for f in self.model._meta.concrete_fields}:
            values.setdefault("source_system", self.source_system)
        if row.custom and self.spec.name == "accounts":
            values["custom"] = {k: v for k, v in row.custom.items() if not k.startswith("__")}
        return values

    def _create(self, rows: list[MappedRow], outcome: FileOutcome) -> list[int]:
        """Insert the rows; returns their new ids, in the same order."""
        records = []
        for row in rows:
            fields = self._fields_of(row)
            # An empty cell takes the field's default (a blank lifecycle is a prospect), else blank text.
            fields = {k: v for k, v in fields.items() if v is not None or not self._has_default(k)}
            fields = {k: ("" if v is None and self._blank_text(k) else v) for k, v in fields.items()}
            if self.spec.name == "referrals":
                fields.setdefault("stage", "identified")
                fields["stage_changed_at"] = fields["created_at"]
            records.append(self.model(**fields))
        created = self.model._default_manager.bulk_create(records, batch_size=BATCH)
        outcome.created += len(created)
        for record, row in zip(created, rows, strict=True):
            self._remember(record, row)
        self._history([(r, None) for r in created])
        return [int(r.pk) for r in created]

    def _has_default(self, name: str) -> bool:
        try:
            found = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return isinstance(found, models.Field) and found.has_default()

    def _blank_text(self, name: str) -> bool:
        try:
            f = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return isinstance(f, models.CharField | models.TextField) and not f.null

    def _update(self, updates: dict[int, MappedRow], outcome: FileOutcome) -> None:
        if not updates:
            return
        current: dict[int, Any] = {r.pk: r for r in self.model._default_manager.filter(pk__in=list(updates))}
        changed: list[models.Model] = []
        moved: list[tuple[Any, str | None]] = []
        names: set[str] = set()
        for pk, row in updates.items():
            record = current[pk]
            fields = self._fields_of(row)
            if not row.values.get("external_id"):
                fields.pop(
                    "source_system", None
                )  # matched by e-mail, domain or name: the row names no system of its own
            if "custom" in fields:
                fields["custom"] = {**getattr(record, "custom", {}), **fields["custom"]}
            diff = {k: v for k, v in fields.items() if v is not None and getattr(record, k) != v}
            if not diff:
                outcome.unchanged += 1
                continue
            if "stage" in diff:
                moved.append((record, str(record.stage)))
            if self.spec.name == "contacts" and "account_id" in diff:
                outcome.job_changes += self._job_change(record, diff["account_id"], outcome.file)
            for k, v in diff.items():
                setattr(record, k, v)
            names |= set(diff)
            changed.append(record)
        if changed:
            self.model._default_manager.bulk_update(changed, sorted(names), batch_size=BATCH)
        outcome.updated += len(changed)
        self._history(moved)

    def _job_change(self, contact: Contact, account_id: int, file: str) -> bool:
        """Move the contact to the account the file names (before the row's other values are set: the move
        reads where they were). An erased contact is only re-pointed, as any other field would be."""
        account = Account.objects.get(pk=account_id)
        return move_contact(contact, account, self.now.date(), provenance=f"import of {file}")

    def _history(self, records: Sequence[tuple[Any, str | None]]) -> None:
        """Opportunities keep the stages they went through; imported referrals start their audit trail."""
        if self.spec.name == "opportunities":
            OpportunityStageChange.objects.bulk_create(
                [
                    OpportunityStageChange(opportunity=r, stage=r.stage, changed_at=self._stage_time(r, before is None))
                    for r, before in records
                    if getattr(r, "stage", None)
                ],
                batch_size=BATCH,
            )
        if self.spec.name == "referrals":
            ReferralTransition.objects.bulk_create(
                [
                    ReferralTransition(
                        referral=r,
                        from_stage=before or "",
                        to_stage=r.stage,
                        at=r.created_at if before is None else self.now,
                        note="Imported",
                    )
                    for r, before in records
                ],
                batch_size=BATCH,
            )

    def _stage_time(self, record: Any, new: bool) -> datetime:
        day: date | None = record.closed_on if record.stage in ("won", "lost") else None
        if day is None and new:
            day = record.created_on
        return datetime.combine(day, time(), tzinfo=UTC) if day else self.now

    def _remember(self, record: models.Model, row: MappedRow) -> None:
        kind = self.spec.name
        if kind in ("teammates", "contacts", "opportunities", "accounts"):
            index = self.directory.index(kind)
            if kind == "accounts":
                assert isinstance(record, Account)
                index.add("external_id", record.external_id, record.pk)
                index.add("domain", record.domain, record.pk)
                index.add("name", record.name_key, record.pk)
                return
            name = row.values.get("name") or f"{row.values.get('first_name', '')} {row.values.get('last_name', '')}"
            self.directory.remember(
                index, kind, record.pk, row.values.get("external_id"), row.values.get("email"), name
            )

    def _link_self_references(self, written: list[tuple[MappedRow, int]], outcome: FileOutcome) -> None:
        """Teammates name their managers, who may be rows of the same file: linked once all are written."""
        pending = [(row, me, row.custom.pop("__manager")) for row, me in written if "__manager" in row.custom]
        if not pending:
            return
        links: dict[int, int] = {}
        for row, me, raw in pending:
            try:
                manager = self.directory.resolve("teammates", raw, self._rule("manager"), {"role": "manager"})
            except BadValue as exc:
                column = row.columns.get("manager", "manager")
                outcome.errors.append(RowError(outcome.file, row.line, column, shown(raw), f"manager {exc}"))
                continue
            if manager != me:
                links[me] = manager
        current = dict(self.model._default_manager.filter(pk__in=list(links)).values_list("id", "manager_id"))
        changed = [self.model(pk=me, manager_id=m) for me, m in links.items() if current.get(me) != m]
        self.model._default_manager.bulk_update(changed, ["manager"], batch_size=BATCH)
