"""Find the records that imported rows point to: by external id, e-mail, domain or name.

Each kind's lookup tables are loaded once per import and kept up to date as records are
created, so a file can point at rows written earlier in the same import. A name shared by
two records is ambiguous and is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from referly.crm import normalise
from referly.crm.models import Account, Contact, Opportunity, Teammate
from referly.ingest.mapping import ReferenceRule
from referly.ingest.values import BadValue

AMBIGUOUS = -1


@dataclass
class Index:
    by: dict[str, dict[str, int]] = field(default_factory=dict)  # method -> key -> id (AMBIGUOUS when shared)

    def add(self, method: str, key: str | None, record_id: int) -> None:
        if not key:
            return
        table = self.by.setdefault(method, {})
        known = table.get(key)
        table[key] = record_id if known in (None, record_id) else AMBIGUOUS

    def find(self, method: str, key: str) -> int | None:
        return self.by.get(method, {}).get(key)


def name_key(kind: str, raw: str) -> str:
    return normalise.company_key(raw) if kind == "accounts" else " ".join(raw.split()).casefold()


class Directory:
    def __init__(self, source_system: str, now: datetime) -> None:
        self.source_system, self.now = source_system, now
        self.indexes: dict[str, Index] = {}
        self.created: dict[str, int] = {}

    def forget(self) -> None:
        """Drop what was learnt: a rolled-back file may have created records the indexes point at."""
        self.indexes.clear()
        self.created.clear()

    def index(self, kind: str) -> Index:
        if kind not in self.indexes:
            self.indexes[kind] = self._load(kind)
        return self.indexes[kind]

    def _load(self, kind: str) -> Index:
        index = Index()
        if kind == "teammates":
            for pk, ext, src, email, name in Teammate.objects.values_list(
                "id", "external_id", "source_system", "email", "name"
            ):
                self.remember(index, kind, pk, ext if src == self.source_system else None, email, name)
        elif kind == "accounts":
            for pk, ext, src, domain, key in Account.objects.values_list(
                "id", "external_id", "source_system", "domain", "name_key"
            ):
                index.add("external_id", ext if src == self.source_system else None, pk)
                index.add("domain", domain, pk)
                index.add("name", key, pk)
        elif kind == "contacts":
            for pk, ext, src, email, first, last in Contact.objects.values_list(
                "id", "external_id", "source_system", "email", "first_name", "last_name"
            ).iterator(chunk_size=50_000):
                self.remember(index, kind, pk, ext if src == self.source_system else None, email, f"{first} {last}")
        elif kind == "opportunities":
            for pk, ext, src, name in Opportunity.objects.values_list("id", "external_id", "source_system", "name"):
                self.remember(index, kind, pk, ext if src == self.source_system else None, None, name)
        return index

    def remember(
        self, index: Index, kind: str, pk: int, external_id: str | None, email: str | None, name: str | None
    ) -> None:
        index.add("external_id", external_id, pk)
        index.add("email", email, pk)
        if name and name.strip():
            index.add("name", name_key(kind, name), pk)

    def resolve(self, kind: str, raw: str, rule: ReferenceRule, defaults: dict[str, str] | None = None) -> int:
        """The id of the record ``raw`` names, creating it when the rule allows; ``BadValue`` otherwise."""
        index = self.index(kind)
        methods = [rule.by] if rule.by != "auto" else self._auto_methods(kind, raw)
        for method in methods:
            key = self._key(kind, method, raw)
            found = index.find(method, key) if key else None
            if found == AMBIGUOUS:
                raise BadValue(f"names more than one {kind[:-1]} (by {method}); refer to it by external id or e-mail")
            if found is not None:
                return found
        if rule.create and kind in ("teammates", "accounts"):
            return self._create(kind, raw, defaults or {})
        how = " or ".join(m.replace("_", " ") for m in methods)
        raise BadValue(f"matches no {kind[:-1]} (looked up by {how}); import the {kind} first")

    def _auto_methods(self, kind: str, raw: str) -> list[str]:
        methods = ["external_id"]
        if "@" in raw:
            methods.append("email" if kind != "accounts" else "domain")
        elif kind == "accounts" and "." in raw and " " not in raw.strip():
            methods.append("domain")
        return [*methods, "name"]

    def _key(self, kind: str, method: str, raw: str) -> str:
        if method == "email":
            return normalise.email(raw)
        if method == "domain":
            return normalise.domain(raw)
        if method == "name":
            return name_key(kind, raw)
        return raw.strip()

    def _create(self, kind: str, raw: str, defaults: dict[str, str]) -> int:
        name = " ".join(raw.split())
        if kind == "teammates":
            record: Teammate | Account = Teammate.objects.create(
                name=name[:200], source_system=self.source_system, **defaults
            )
        else:
            record = Account.objects.create(
                name=name[:255], name_key=normalise.company_key(name), source_system=self.source_system
            )
        self.index(kind).add("name", name_key(kind, name), record.pk)
        self.created[kind] = self.created.get(kind, 0) + 1
        return int(record.pk)
