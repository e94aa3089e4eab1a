"""CRM write-back files: what Referly knows about referrals, sponsors and fit, in each CRM's own import format.

One folder per export: CSV files (UTF-8, a header row) named so that ``referly import DIR --preset NAME``
reads them back, a ``README.md`` listing the custom properties to create first, and ``unkeyed.csv`` for
records that no CRM import could match.

Keys. A row names its record by the id it came in with (``external_id`` of a record whose
``source_system`` is that CRM), else by the field the CRM's importer itself matches on: e-mail for
HubSpot contacts, Salesforce contacts and Pipedrive people (written with the person's name, which
Pipedrive recognises first), the domain for HubSpot companies. Salesforce accounts, Pipedrive
organizations and every CRM's deals match on their id only; without it the record goes to
``unkeyed.csv`` with the reason. Standard columns use the headers of the project's import preset for
that CRM (a company's name and a person's company ride along: Referly's importer requires them, and
they hold the value that came from the CRM); custom properties follow the CRM's naming rules.

Blanks. A value Referly does not hold is never written as an empty cell. Import tools differ on what
an empty cell means when they update a record (HubSpot and Salesforce's wizard skip blanks by default;
Data Loader's "Insert null values" and Pipedrive's merge do not promise the same), so rather than rely
on a setting the person importing may change, the rows of one object are grouped by the set of columns
they fill, and each group is its own file (``hubspot-contacts-1.csv``, ``-2.csv`` ...). Every cell of
every file holds a value; a column no row fills never appears.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from referly.connect.writeback_fields import (
    BY_KEY_OBJECT,
    KINDS,
    PROPERTIES,
    RECORD_KINDS,
    REFERRAL_OBJECT,
    Facts,
    Property,
    changed_at,
    day,
    gather,
    records,
)
from referly.errors import InvalidInput, Unavailable
from referly.kit.sheets import SafeWriter
from referly.referrals.models import Attribution, Channel, Referral, ReferralStage

Row = dict[str, str]


@dataclass(frozen=True)
class Crm:
    name: str
    title: str
    objects: dict[str, str]  # kind -> the CRM's name for the object
    stems: dict[str, str]  # kind -> file name stem (matched by the preset's file globs)
    matches: dict[str, str]  # kind -> the natural key its importer matches on, when any
    types: dict[str, str]  # property type -> the CRM's field type


CRMS: dict[str, Crm] = {
    "hubspot": Crm(
        "hubspot",
        "HubSpot",
        {"accounts": "Company", "contacts": "Contact", "opportunities": "Deal", "referrals": "Referly referral"},
        {
            "accounts": "hubspot-companies",
            "contacts": "hubspot-contacts",
            "opportunities": "hubspot-deals",
            "referrals": "hubspot-referly-referrals",
        },
        {"accounts": "domain", "contacts": "email"},
        {"text": "Single-line text", "number": "Number", "date": "Date picker", "choice": "Dropdown select"},
    ),
    "salesforce": Crm(
        "salesforce",
        "Salesforce",
        {
            "accounts": "Account",
            "contacts": "Contact",
            "opportunities": "Opportunity",
            "referrals": "Referly_Referral__c",
        },
        {
            "accounts": "salesforce-accounts",
            "contacts": "salesforce-contacts",
            "opportunities": "salesforce-opportunities",
            "referrals": "salesforce-referly-referrals",
        },
        {"contacts": "email"},
        {"text": "Text(255)", "number": "Number(18, 0)", "date": "Date", "choice": "Picklist"},
    ),
    "pipedrive": Crm(
        "pipedrive",
        "Pipedrive",
        {"accounts": "Organization", "contacts": "Person", "opportunities": "Deal"},
        {"accounts": "organizations-referly", "contacts": "people-referly", "opportunities": "deals-referly"},
        {"contacts": "email"},
        {"text": "Text", "number": "Numerical", "date": "Date", "choice": "Single option"},
    ),
}


def crm_for(preset: str) -> Crm:
    crm = CRMS.get(preset.strip().lower())
    if crm is None:
        raise InvalidInput(
            f"--preset: no CRM named {preset!r}; choose one of {', '.join(CRMS)}", field="preset", code="unknown_preset"
        )
    return crm


def kinds_from(text: str | None) -> tuple[str, ...]:
    if not text:
        return KINDS
    asked = [k.strip().lower() for k in text.split(",") if k.strip()]
    wrong = [k for k in asked if k not in KINDS]
    if wrong or not asked:
        raise InvalidInput(
            f"--kinds: unknown kind {', '.join(wrong) or text!r}; choose from {', '.join(KINDS)}",
            field="kinds",
            code="unknown_kind",
        )
    return tuple(k for k in KINDS if k in asked)


def column(crm: Crm, kind: str, prop: Property) -> str:
    """The column (and custom property) name, by the CRM's rules."""
    if crm.name == "hubspot":
        return f"referly_{prop.key}"
    if crm.name == "salesforce":
        words = [w.upper() if w in ("icp", "id") else w.capitalize() for w in prop.key.split("_")]
        return "Referly_" + "_".join(words) + "__c"
    return f"{crm.objects[kind]} - {label(prop)}"


def label(prop: Property) -> str:
    return f"Referly {prop.label}"


@dataclass
class Preset:
    """The standard column headers of the project's import preset for one CRM."""

    source_system: str
    headers: dict[str, dict[str, str]]  # kind -> field -> header

    def header(self, kind: str, name: str) -> str:
        return self.headers[kind][name]


def load_preset(crm: Crm) -> Preset:
    from referly.ingest.mapping import load_mapping

    mapping = load_mapping(preset=crm.name)
    headers = {kind: dict(mapping.section(kind).fields) for kind in RECORD_KINDS}
    return Preset(mapping.source_system, headers)


@dataclass
class Unkeyed:
    kind: str
    referly_id: int
    record: str
    reason: str


@dataclass
class Export:
    files: list[tuple[str, int]] = field(default_factory=list)
    unkeyed: list[Unkeyed] = field(default_factory=list)
    properties: dict[str, list[Property]] = field(default_factory=dict)  # kind -> custom properties written
    notes: list[str] = field(default_factory=list)


def key_of(crm: Crm, preset: Preset, kind: str, record: Any) -> Row | str:
    """The columns that name ``record`` to the CRM's importer, or why there are none."""
    own = record.source_system == preset.source_system and record.external_id
    if own:
        return {preset.header(kind, "external_id"): str(record.external_id)}
    where = f"imported from {record.source_system}" if record.source_system else "not imported from a CRM"
    missing = f"no {crm.title} {crm.objects[kind]} id ({where})"
    match = crm.matches.get(kind)
    if match == "domain":
        if record.domain:
            return {preset.header(kind, "domain"): record.domain}
        return f"{missing} and no domain"
    if match == "email":
        if record.erased_at is not None:
            return f"{missing}; personal data erased"
        if not record.email:
            return f"{missing} and no e-mail"
        row = {preset.header(kind, "email"): record.email}
        if crm.name == "pipedrive":  # Pipedrive recognises a person by name, then by e-mail
            row[preset.header(kind, "first_name")] = record.first_name
            row[preset.header(kind, "last_name")] = record.last_name
        return row
    return f"{missing}; {crm.title} matches {crm.objects[kind].lower()} records on their id only"


def required_of(preset: Preset, kind: str, record: Any) -> Row:
    """What Referly's importer needs besides the key, as stored (it came from the CRM)."""
    if kind == "accounts":
        return {preset.header(kind, "name"): record.name}
    if kind == "contacts":
        return {preset.header(kind, "account"): record.account.name}
    return {}


def record_rows(
    crm: Crm, preset: Preset, kind: str, facts: Facts, since: datetime | None, out: Export
) -> tuple[list[Row], list[str]]:
    """One row per record that has values to write (and changed since ``since``); its column order."""
    found = records(kind, facts.values[kind])
    props = [p for p in PROPERTIES if kind in p.kinds]
    rows: list[Row] = []
    used: set[str] = set()
    for pk in sorted(found):
        record = found[pk]
        if since is not None and changed_at(kind, record, facts) < since:
            continue
        key = key_of(crm, preset, kind, record)
        if isinstance(key, str):
            out.unkeyed.append(Unkeyed(kind, pk, _named(kind, record), key))
            continue
        values = facts.values[kind][pk]
        row = {**key, **required_of(preset, kind, record)}
        row.update({column(crm, kind, p): values[p.key] for p in props if values.get(p.key)})
        used |= {p.key for p in props if values.get(p.key)}
        rows.append({k: v for k, v in row.items() if v not in ("", None)})
    out.properties[kind] = [p for p in props if p.key in used]
    headers = preset.headers[kind]
    order = [
        headers[f]
        for f in ("external_id", "domain", "email", "first_name", "last_name", "name", "account")
        if f in headers
    ]
    return rows, order + [column(crm, kind, p) for p in props]


def _named(kind: str, record: Any) -> str:
    if kind == "contacts" and record.erased_at is not None:
        return f"contact {record.pk} (erased)"
    return str(record.name)


def referral_rows(
    crm: Crm, preset: Preset, facts: Facts, since: datetime | None, out: Export
) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    used: set[str] = set()
    for r in facts.referrals:
        if since is not None and facts.referral_changed[r.pk] < since:
            continue
        values = _referral_object(r, preset)
        rows.append({column(crm, "referrals", BY_KEY_OBJECT[k]): v for k, v in values.items() if v})
        used |= {k for k, v in values.items() if v}
    out.properties["referrals"] = [p for p in REFERRAL_OBJECT if p.key in used]
    return rows, [column(crm, "referrals", p) for p in REFERRAL_OBJECT]


def _referral_object(r: Referral, preset: Preset) -> dict[str, str]:
    referrer = r.referrer_contact
    target = r.target_account
    person = r.target_contact
    deal = r.opportunity
    shown_referrer = referrer.name if referrer.erased_at is None else ""
    return {
        "referral_id": str(r.pk),
        "referral_name": f"{shown_referrer or r.referrer_account.name} → {target.name}",
        "referral_stage": str(ReferralStage(r.stage).label),
        "referral_date": day(r.created_at),
        "referral_stage_date": day(r.stage_changed_at),
        "referral_credit": "" if r.attribution == Attribution.PENDING else str(Attribution(r.attribution).label),
        "referral_channel": str(Channel(r.channel).label),
        "referring_account": r.referrer_account.name,
        "referring_contact": shown_referrer,
        "referring_email": (referrer.email or "") if referrer.erased_at is None else "",
        "target_account": target.name,
        "target_domain": target.domain or "",
        "target_email": (person.email or "") if person is not None and person.erased_at is None else "",
        "deal_id": str(deal.external_id or "")
        if deal is not None and deal.source_system == preset.source_system
        else "",
    }


def groups(rows: Iterable[Row], order: Sequence[str]) -> list[tuple[list[str], list[Row]]]:
    """The rows grouped by the columns they fill, each group with its columns in ``order``; first seen first."""
    found: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        columns = tuple(c for c in order if c in row)
        found.setdefault(columns, []).append(row)
    return [(list(columns), members) for columns, members in found.items()]


def write_csv(path: Path, columns: list[str], rows: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = SafeWriter(out)  # a CRM's import then shows a name like "=HYPERLINK(...)" as text
        writer.writerow(columns)
        writer.writerows([[row[c] for c in columns] for row in rows])


def start_of(since: date | None) -> datetime | None:
    return None if since is None else datetime.combine(since, time(), tzinfo=UTC)


def export(preset_name: str, folder: Path, *, since: date | None = None, kinds: Sequence[str] = KINDS) -> Export:
    """Write the export into ``folder`` (new or empty). Reads only; the caller owns the transaction."""
    crm = crm_for(preset_name)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput(f"--out: {folder} is not an empty folder; name a new one", field="out", code="out_not_empty")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"Cannot create {folder}: {exc.strerror or exc}") from None
    preset = load_preset(crm)
    facts = gather()
    after = start_of(since)
    out = Export()
    for kind in kinds:
        if kind == "referrals":
            if "referrals" not in crm.objects:
                out.notes.append(
                    f"{crm.title} has no custom objects: no referrals file; each referral's stage, dates, credit "
                    "and referrer are on the deals, people and organizations."
                )
                continue
            rows, order = referral_rows(crm, preset, facts, after, out)
        else:
            rows, order = record_rows(crm, preset, kind, facts, after, out)
        parts = groups(rows, order)
        for n, (columns, members) in enumerate(parts, 1):
            name = f"{crm.stems[kind]}{'' if len(parts) == 1 else f'-{n}'}.csv"
            write_csv(folder / name, columns, members)
            out.files.append((name, len(members)))
    write_csv(
        folder / "unkeyed.csv",
        ["kind", "referly_id", "record", "reason"],
        [
            {"kind": u.kind, "referly_id": str(u.referly_id), "record": u.record, "reason": u.reason}
            for u in out.unkeyed
        ],
    )
    (folder / "README.md").write_text(readme(crm, out, since), encoding="utf-8")
    return out


HOW = {
    "hubspot": (
        'Create the properties in Settings → Properties (one group, "Referly"), with the internal names below.',
        'Import each file as one object, "Update existing records"; match on Record ID (or Email, Company '
        'domain name). Map the column "Associated Company (Primary)" to "Don\'t import". For the referrals '
        'file, create the custom object "Referly referral" with referly_referral_id as a unique property.',
    ),
    "salesforce": (
        "Create the custom fields in Setup → Object Manager → (object) → Fields & Relationships with the API "
        "names below.",
        "Update with Data Loader (opportunities and custom objects need it) or the Data Import Wizard: match "
        "on the record id column (Account ID, Contact ID, Opportunity ID) or, for contacts, Email; leave "
        '"Insert null values" off. For the referrals file, create the object Referly_Referral__c with '
        "Referly_Referral_ID__c as an External ID and upsert on it. Dates are YYYY-MM-DD.",
    ),
    "pipedrive": (
        "Create the custom fields in Company settings → Data fields, named as below.",
        "Import each file (Tools → Import data), map the ID column to the Pipedrive system ID of its object "
        "so rows update, not add, records; people without an ID are merged by name and e-mail.",
    ),
}


def readme(crm: Crm, out: Export, since: date | None) -> str:
    create, load = HOW[crm.name]
    lines = [
        f"# Referly write-back for {crm.title}",
        "",
        f"Exported {'changes since ' + since.isoformat() if since else 'everything'}. "
        "Each file holds only cells with a value: a file per set of columns, so nothing in the CRM is blanked.",
        "",
        "## 1. Create these custom properties first",
        "",
        create,
        "",
        "| Object | Name | Label | Type | Options | Description |",
        "|---|---|---|---|---|---|",
    ]
    for kind, props in out.properties.items():
        for p in props:
            options = ", ".join(p.options)
            name = column(crm, kind, p)
            if crm.name == "pipedrive":
                name = label(p)
            lines.append(
                f"| {crm.objects[kind]} | `{name}` | {label(p)} | {crm.types[p.type]} | {options} | {p.description} |"
            )
    lines += ["", "## 2. Import the files", "", load, ""]
    lines += [f"- `{name}`: {rows} rows" for name, rows in out.files] or ["- nothing to write"]
    lines += ["", *[f"Note: {n}" for n in out.notes]] if out.notes else []
    lines += ["", f"`unkeyed.csv`: {len(out.unkeyed)} records no {crm.title} import can match, with the reason.", ""]
    return "\n".join(lines)
