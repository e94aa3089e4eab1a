"""From source rows to checked field values: the mapping applied, every cell typed, every rule checked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from referly.crm.models import OpportunityStage, SignalKind
from referly.crm.models.pipeline import OPEN_STAGES
from referly.ingest import values as v
from referly.ingest.kinds import INTERACTION_KINDS, SOURCES, FieldSpec, KindSpec
from referly.ingest.mapping import Section, value_key
from referly.ingest.readers import RowProblem, SourceRow


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    value: str
    reason: str

    def sentence(self) -> str:
        where = f"{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column}"
        shown = f" {self.value!r}" if self.value else ""
        return f"{where}:{shown} {self.reason}"


@dataclass
class MappedRow:
    line: int
    values: dict[str, Any]
    custom: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field -> the source column it came from
    extra: dict[str, Any] = field(default_factory=dict)  # values read but not stored on the record (activity)


class FieldStep(NamedTuple):
    """How one field of a file's rows is filled: from a column (or a constant), through its converter."""

    name: str
    column: str  # as error messages name it
    constant: bool
    fixed: Any  # the constant's value
    typed: Callable[[Any], Any]


_STAGES = tuple(str(s) for s in OpportunityStage.values)


def shown(raw: Any) -> str:
    text = "" if raw is None else str(raw)
    return text if len(text) <= 80 else text[:77] + "..."


class RowConverter:
    """Applies one mapping section to the rows of one file."""

    def __init__(self, spec: KindSpec, section: Section, file: str, now: datetime, header: list[str]) -> None:
        self.spec, self.section, self.file, self.now = spec, section, file, now
        self.columns = self._columns(header)
        self.custom = dict(section.custom)
        self.plan: list[FieldStep] | None = None
        self.required = [f.name for f in spec.fields if f.required]
        # Deal stages neither the value map nor Referly knows (a custom pipeline's "Demo booked"): kept open.
        self.unknown_stages: Counter[str] = Counter()

    def _columns(self, header: list[str]) -> dict[str, str]:
        if self.section.fields:
            # The first of a field's column names the file has; else its usual name, reported as missing.
            return {n: self.section.column_in(n, header) or c for n, c in self.section.fields.items()}
        # No mapping: the columns whose header is a field's name.
        return {f.name: f.name for f in self.spec.fields if f.name in header}

    def missing_columns(self, available: list[str]) -> list[str]:
        have = set(available)
        wanted = [*self.columns.values(), *self.custom.values()] if self.section.fields else [*self.custom.values()]
        return sorted({c for c in wanted if c not in have})

    def drop_optional(self, missing: list[str]) -> list[str]:
        """Forget fields whose column is absent, unless required or named by the user's own mapping;
        returns the columns still missing."""
        keep = {f.name for f in self.spec.fields if f.required} | set(self.section.pinned)
        for name, column in list(self.columns.items()):
            if column in missing and name not in keep:
                del self.columns[name]
        self.custom = {k: c for k, c in self.custom.items() if c not in missing}
        return sorted({c for n, c in self.columns.items() if c in missing})

    def unmapped_required(self) -> list[str]:
        given = set(self.columns) | set(self.section.constants)
        return [f.name for f in self.spec.fields if f.required and f.name not in given]

    def field_plan(self) -> list[FieldStep]:
        """Per field, once per file: where its value comes from and the converter that types it."""
        if self.plan is None:
            self.plan = self._plan()
        return self.plan

    def _plan(self) -> list[FieldStep]:
        plan = []
        for spec in self.spec.fields:
            column = self.columns.get(spec.name, "")
            constant = spec.name in self.section.constants
            if not constant and not column:
                continue
            shown_column = column or (f"(constant {spec.name})" if constant else spec.name)
            fixed = self.section.constants.get(spec.name)
            plan.append(FieldStep(spec.name, shown_column, constant, fixed, self._typed(spec)))
        return plan

    def convert(self, item: SourceRow | RowProblem) -> MappedRow | RowError:
        if isinstance(item, RowProblem):
            return RowError(self.file, item.line, "", "", item.reason)
        row = MappedRow(item.line, {})
        cells = item.values
        for name, column, constant, fixed, typed in self.plan or self.field_plan():
            if constant:
                raw: Any = fixed
            elif column in cells:
                raw = cells[column]
            else:
                continue
            row.columns[name] = column
            try:
                row.values[name] = typed(raw)
            except v.BadValue as exc:
                return RowError(self.file, item.line, column, shown(raw), f"{name} {exc}")
        for name in self.spec.unstored:
            if name in row.values:
                row.extra[name] = row.values.pop(name)
        for key, column in self.custom.items():
            if cells.get(column) is not None:
                row.custom[key] = cells[column]
        problem = self._rules(row)
        if problem:
            name, reason = problem
            return RowError(self.file, item.line, row.columns.get(name, name), shown(row.values.get(name)), reason)
        return row

    def _typed(self, spec: FieldSpec) -> Callable[[Any], Any]:
        """The function that turns a raw cell into this field's value: value map, then type."""
        if spec.type == "source":
            return lambda raw: raw  # resolved in _rules, which also keeps the CRM's own spelling
        if self.spec.name == "opportunities" and spec.name == "stage":
            return self._stage
        fmt, now, future = self.section.formats.get(spec.name), self.now, spec.future
        scale, places = self.section.scale.get(spec.name, 1), 4 if spec.negative else 2
        converters: dict[str, Callable[[Any], Any]] = {
            "text": lambda raw: v.text(raw, spec.max_length),
            "int": v.integer,
            "decimal": lambda raw: v.decimal(raw, negative=spec.negative, scale=scale, places=places),
            "fraction": v.fraction,
            "bool": v.boolean,
            "date": lambda raw: v.day(raw, fmt, now, future=future),
            "datetime": lambda raw: v.moment(raw, fmt, now, future=future),
            "email": v.email,
            "domain": v.domain,
            "country": v.country,
            "choice": lambda raw: v.choice(raw, spec.choices, spec.name),
        }
        # References stay text here: the directory resolves them.
        typed: Callable[[Any], Any] = converters.get(spec.type, lambda raw: v.text(raw, 255))
        table = self.section.values.get(spec.name)
        if not table:
            return typed
        return lambda raw: typed(table.get(value_key(raw), raw) if raw is not None else raw)

    def _stage(self, raw: Any) -> str | None:
        """A deal stage: the value map's, else Referly's own; a stage neither knows is an open deal's."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        table = self.section.values.get("stage", {})
        key = value_key(raw)
        if key in table:
            mapped = v.choice(table[key], _STAGES, "stage") if table[key] else None
            if mapped is None:
                raise v.BadValue("is a stage the mapping leaves out: the deal is not imported")
            return mapped
        try:
            return v.choice(raw, _STAGES, "stage")
        except v.BadValue:
            self.unknown_stages[" ".join(str(raw).split())] += 1
            return OpportunityStage.PROSPECTING.value

    def _rules(self, row: MappedRow) -> tuple[str, str] | None:
        """Rules across fields. Returns (field, reason) for the first one broken."""
        values = row.values
        for name in self.required:
            if values.get(name) in (None, ""):
                return name, f"{name} is required"
        return getattr(self, f"_rules_{self.spec.name}", lambda _: None)(row)

    def _rules_contacts(self, row: MappedRow) -> tuple[str, str] | None:
        full = row.values.pop("name", None)
        if full and not row.values.get("first_name") and not row.values.get("last_name"):
            first, _, last = full.partition(" ")
            row.values["first_name"], row.values["last_name"] = first[:100], last.strip()[:100]
        if not any(row.values.get(k) for k in ("email", "first_name", "last_name", "external_id")):
            return "email", "a contact needs an e-mail, a name or an external id"
        return None

    def _rules_accounts(self, row: MappedRow) -> tuple[str, str] | None:
        start, end = row.values.get("client_since"), row.values.get("churned_on")
        if start and end and end < start:
            return "churned_on", "churned_on is before client_since"
        return None

    def _rules_signals(self, row: MappedRow) -> tuple[str, str] | None:
        score = row.values.get("nps_score")
        if row.values.get("kind") == SignalKind.NPS and score is None:
            return "nps_score", "an NPS answer needs its score (0-10)"
        if score is not None and row.values.get("kind") != SignalKind.NPS:
            return "nps_score", "only NPS answers have a score"
        if score is not None and not 0 <= score <= 10:
            return "nps_score", "nps_score must be between 0 and 10"
        resolved, start = row.values.get("resolved_on"), row.values.get("occurred_on")
        if resolved and start and resolved < start:
            return "resolved_on", "resolved_on is before occurred_on"
        return None

    def _rules_opportunities(self, row: MappedRow) -> tuple[str, str] | None:
        values = row.values
        if "source" in values:
            raw = values.pop("source")
            if raw is not None and not values.get("source_detail"):
                values["source_detail"] = v.text(raw, 120)
            mapped = self.section.mapped_value("source", raw)
            key = str(mapped).strip().lower() if mapped is not None else ""
            values["source"] = key if key in SOURCES else "other"
        stage = values.get("stage")
        if values.get("closed_on") and (stage is None or stage in OPEN_STAGES):
            values["expected_close_on"] = values.pop("closed_on")  # an open deal's close date is a forecast
            values["closed_on"] = None
        closing = stage in (OpportunityStage.WON, OpportunityStage.LOST) and values.get("closed_on")
        if closing and values["closed_on"] > self.now.date():
            return "closed_on", "a won or lost deal cannot close in the future"
        created, closed = values.get("created_on"), values.get("closed_on")
        if created and closed and closed < created:
            return "closed_on", "closed_on is before created_on"
        if not values.get("name") and not values.get("external_id"):
            return "name", "an opportunity needs a name or an external id"
        return None

    def _rules_interactions(self, row: MappedRow) -> tuple[str, str] | None:
        row.values["kind"] = INTERACTION_KINDS[row.values["kind"]]
        return None


def convert_all(converter: RowConverter, items: Iterator[SourceRow | RowProblem]) -> Iterator[MappedRow | RowError]:
    for item in items:
        yield converter.convert(item)
