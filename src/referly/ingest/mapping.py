"""Mapping files: which source column feeds which field, with value maps, formats and reference rules.

The format is documented in docs/import.md. Every key is checked when the file is loaded, so a
typo is an error that names it, not a column silently left out.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from referly.errors import InvalidInput
from referly.ingest.kinds import KINDS, kind_spec
from referly.ingest.readers import ReadOptions

SECTION_KEYS = {
    "file",
    "read",
    "fields",
    "constants",
    "values",
    "formats",
    "scale",
    "references",
    "custom",
    "join",
}
READ_KEYS = {"delimiter", "encoding", "header", "columns", "sheet", "quote"}
REFERENCE_BY = {"auto", "external_id", "email", "domain", "name"}


@dataclass(frozen=True)
class ReferenceRule:
    by: str = "auto"
    create: bool = False


@dataclass(frozen=True)
class Join:
    name: str
    file: str
    on: str
    read: ReadOptions


@dataclass
class Section:
    kind: str
    files: tuple[str, ...] = ()
    read: ReadOptions = field(default_factory=ReadOptions)
    fields: dict[str, str] = field(default_factory=dict)  # field -> its usual column
    # field -> further column names the same field goes by in other exports; the first the file has wins
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # fields a mapping of the user's own names: never dropped, even when it extends a lenient preset
    pinned: frozenset[str] = frozenset()
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    references: dict[str, ReferenceRule] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    joins: tuple[Join, ...] = ()

    def mapped_value(self, name: str, raw: Any) -> Any:
        """The value map's translation of a raw cell (case and surrounding spaces ignored)."""
        table = self.values.get(name)
        if not table or raw is None:
            return raw
        return table.get(value_key(raw), raw)

    def candidates(self, name: str) -> tuple[str, ...]:
        """Every column name that may feed ``name``, in the order they are tried."""
        first = self.fields.get(name)
        return ((first,) if first else ()) + self.aliases.get(name, ())

    def column_in(self, name: str, header: list[str] | set[str]) -> str | None:
        """The column of ``header`` that feeds ``name``: the first of its candidates the file has."""
        return next((c for c in self.candidates(name) if c in header), None)


@dataclass
class Mapping:
    origin: str
    source_system: str = ""
    # Presets describe every column an export may have; a given export may lack optional ones.
    lenient: bool = False
    sections: dict[str, Section] = field(default_factory=dict)
    preset: str = ""  # the shipped preset this mapping is, or extends

    def section(self, kind: str) -> Section:
        return self.sections.get(kind) or self.sections.get("") or Section(kind)


def value_key(raw: Any) -> str:
    return " ".join(str(raw).split()).casefold()


def preset_names() -> list[str]:
    folder = resources.files("referly.ingest.presets")
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_mapping(path: Path | None = None, preset: str | None = None) -> Mapping:
    if path is not None and preset is not None:
        raise InvalidInput('Give --mapping or --preset, not both (a mapping file may say preset = "NAME")')
    if preset is not None:
        return load_preset(preset)
    if path is None:
        return Mapping("no mapping")
    try:
        return parse_mapping(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise InvalidInput(f"Cannot read the mapping {path}: {exc.strerror or exc}") from None


def load_preset(preset: str) -> Mapping:
    if preset not in preset_names():
        raise InvalidInput(f"No preset named {preset!r}: choose one of {', '.join(preset_names())}")
    text = resources.files("referly.ingest.presets").joinpath(f"{preset}.toml").read_text(encoding="utf-8")
    mapping = parse_mapping(text, f"preset {preset}")
    mapping.lenient = True
    mapping.preset = preset
    return mapping


def parse_mapping(text: str, origin: str) -> Mapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The mapping {origin} is not valid TOML: {exc}") from None
    base = data.pop("preset", None)
    if base is None:
        return _unread_dropped(_mapping_from(data, origin))
    if origin.startswith("preset ") or not isinstance(base, str):
        raise InvalidInput(f"The mapping {origin}: preset must name a shipped preset ({', '.join(preset_names())})")
    own = _mapping_from(data, origin)
    if "" in own.sections:
        raise InvalidInput(f"The mapping {origin} extends a preset: put its keys under the kind they are for")
    return _unread_dropped(_extend(load_preset(base), own))


def _unread_dropped(mapping: Mapping) -> Mapping:
    for section in mapping.sections.values():
        for name in [n for n, column in section.fields.items() if not column]:
            del section.fields[name]
            section.aliases.pop(name, None)
        section.pinned = frozenset(n for n in section.pinned if n in section.fields)
    return mapping


def _extend(base: Mapping, own: Mapping) -> Mapping:
    """A preset with a mapping file's own sections laid over it, key by key; columns it names are pinned."""
    merged = Mapping(own.origin, own.source_system or base.source_system, lenient=True, preset=base.preset)
    merged.sections = dict(base.sections)
    for kind, mine in own.sections.items():
        theirs = base.sections.get(kind)
        if theirs is None:
            merged.sections[kind] = mine
            continue
        values = {f: {**theirs.values.get(f, {}), **table} for f, table in mine.values.items()}
        merged.sections[kind] = Section(
            kind,
            files=mine.files or theirs.files,
            read=mine.read if mine.read != ReadOptions() else theirs.read,
            fields={**theirs.fields, **mine.fields},
            aliases={f: a for f, a in theirs.aliases.items() if f not in mine.fields} | mine.aliases,
            pinned=frozenset(mine.fields),
            constants={**theirs.constants, **mine.constants},
            values={**theirs.values, **values},
            formats={**theirs.formats, **mine.formats},
            scale={**theirs.scale, **mine.scale},
            references={**theirs.references, **mine.references},
            custom={**theirs.custom, **mine.custom},
            joins=theirs.joins + mine.joins,
        )
    return merged


def _mapping_from(data: dict[str, Any], origin: str) -> Mapping:
    mapping = Mapping(origin, source_system=str(data.pop("source_system", "")).strip().lower())
    if "kind" in data:
        flat_kind = str(data.pop("kind"))
        kind_spec(flat_kind)
        data = {flat_kind: data}
    flat = {k: data.pop(k) for k in list(data) if k in SECTION_KEYS}
    if flat:
        mapping.sections[""] = _section("", flat, origin)
    for kind, body in data.items():
        if kind not in KINDS:
            raise InvalidInput(f"The mapping {origin} has a section [{kind}], which is no kind Referly imports")
        if not isinstance(body, dict):
            raise InvalidInput(f"The mapping {origin}: [{kind}] must be a table")
        mapping.sections[kind] = _section(kind, body, origin)
    return mapping


def _section(kind: str, body: dict[str, Any], origin: str) -> Section:
    where = f"The mapping {origin}, [{kind or 'top level'}]"
    unknown = set(body) - SECTION_KEYS
    if unknown:
        raise InvalidInput(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    spec = KINDS.get(kind)
    section = Section(kind)
    files = body.get("file", [])
    section.files = (files,) if isinstance(files, str) else tuple(files)
    section.read = read_options(body.get("read", {}), where)
    for name, columns in body.get("fields", {}).items():
        if columns == "":
            section.fields[str(name)] = ""  # read from no column (leaves out a preset's); dropped once merged
            continue
        names = [columns] if isinstance(columns, str) else columns
        if not isinstance(names, list) or not names or not all(isinstance(c, str) and c for c in names):
            raise InvalidInput(f"{where}: fields.{name} must be a column name or a list of column names")
        section.fields[str(name)] = names[0]
        if len(names) > 1:
            section.aliases[str(name)] = tuple(names[1:])
    section.constants = dict(body.get("constants", {}))
    section.values = {f: {value_key(k): v for k, v in table.items()} for f, table in body.get("values", {}).items()}
    section.formats = {str(k): str(v) for k, v in body.get("formats", {}).items()}
    section.scale = {str(k): float(v) for k, v in body.get("scale", {}).items()}
    section.custom = {str(k): str(v) for k, v in body.get("custom", {}).items()}
    for name, rule in body.get("references", {}).items():
        rule = {"by": rule} if isinstance(rule, str) else rule
        if rule.get("by", "auto") not in REFERENCE_BY:
            raise InvalidInput(f"{where}: references.{name}.by must be one of {', '.join(sorted(REFERENCE_BY))}")
        section.references[name] = ReferenceRule(str(rule.get("by", "auto")), bool(rule.get("create", False)))
    section.joins = tuple(
        Join(
            name,
            str(j["file"]),
            str(j["on"]),
            read_options({k: v for k, v in j.items() if k in READ_KEYS}, where),
        )
        for name, j in body.get("join", {}).items()
    )
    if spec is not None:
        named = [*section.fields, *section.constants, *section.values, *section.formats, *section.scale]
        named += list(section.references)
        wrong = sorted({n for n in named if spec.field(n) is None})
        if wrong:
            allowed = ", ".join(f.name for f in spec.fields)
            raise InvalidInput(f"{where} names fields {kind} do not have: {', '.join(wrong)} (fields: {allowed})")
        if section.custom and kind != "accounts":
            raise InvalidInput(f"{where}: [custom] columns are for accounts only")
    return section


def read_options(body: dict[str, Any], where: str) -> ReadOptions:
    unknown = set(body) - READ_KEYS
    if unknown:
        raise InvalidInput(f"{where}: unknown read options {', '.join(sorted(unknown))}")
    delimiter = body.get("delimiter")
    if delimiter is not None and len(str(delimiter)) != 1:
        raise InvalidInput(f"{where}: read.delimiter must be one character")
    return ReadOptions(
        delimiter=str(delimiter) if delimiter is not None else None,
        encoding=body.get("encoding"),
        header=bool(body.get("header", True)),
        columns=tuple(str(c) for c in body.get("columns", ())),
        sheet=body.get("sheet"),
        quote=str(body.get("quote", '"')),
    )
