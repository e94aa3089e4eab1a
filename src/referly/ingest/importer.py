"""Run an import: read each file, check every row, write in one transaction.

The caller's transaction is the unit: ``run_import`` rolls it back itself for a dry run, and
for a strict import with any refused row, so the database ends exactly as it began.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from referly.errors import InvalidInput
from referly.ingest import checks
from referly.ingest.activity import record_activity, resolve_owner
from referly.ingest.archive import unpack_zip
from referly.ingest.directory import Directory
from referly.ingest.kinds import ORDER, kind_spec
from referly.ingest.mapping import Join, Mapping, Section
from referly.ingest.outcome import FileOutcome
from referly.ingest.readers import TABULAR_SUFFIXES, RowProblem, SourceRow, read_table
from referly.ingest.recognise import globbed, named, recognise
from referly.ingest.rows import MappedRow, RowConverter, RowError
from referly.ingest.touch_batches import import_touches
from referly.ingest.touches import TouchWriter
from referly.ingest.upserts import RecordWriter

Progress = Callable[[str, int], None]


@dataclass
class ImportResult:
    outcomes: list[FileOutcome]
    written: bool


def run_import(
    targets: list[tuple[str, Path]],
    mapping: Mapping,
    *,
    now: datetime,
    strict: bool = False,
    dry_run: bool = False,
    on_progress: Progress | None = None,
) -> ImportResult:
    with transaction.atomic():
        one_import_at_a_time()
        directory = Directory(mapping.source_system, now)
        outcomes = [
            _each_file(kind, path, mapping, directory, now, on_progress, len(targets)) for kind, path in targets
        ]
        from referly.ingest.dedupe import likely_duplicates

        kinds = {o.kind for o in outcomes if not o.failure} & {"accounts", "contacts"}
        flagged = {kind: len(likely_duplicates(kind)) for kind in kinds}  # once per kind, not per file
        for outcome in outcomes:
            outcome.flagged = flagged.get(outcome.kind, 0)
        refused = any(o.refused for o in outcomes)
        if dry_run or (strict and refused):
            transaction.set_rollback(True)
            return ImportResult(outcomes, written=False)
        if {o.kind for o in outcomes} & {"opportunities", "referrals"}:
            from referly.referrals.services import follow_deals, recompute_credit

            follow_deals(now)  # a deal won or lost in the CRM moves its referral
            recompute_credit()
    return ImportResult(outcomes, written=True)


# The key of the PostgreSQL lock an import holds until it commits (any number no other lock of Referly uses).
IMPORT_LOCK = 0x72656672


def one_import_at_a_time() -> None:
    """Wait until no other import is writing. Two imports of one export at once would both create the same
    records, and the second would fail on their unique keys; waiting, it finds them and leaves them unchanged.
    SQLite already lets one writer in at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _each_file(
    kind: str,
    path: Path,
    mapping: Mapping,
    directory: Directory,
    now: datetime,
    on_progress: Progress | None,
    files: int,
) -> FileOutcome:
    """One file of the import, in its own savepoint: a file that cannot be read is reported, the others go on."""
    try:
        with transaction.atomic():
            return import_file(kind, path, mapping, directory, now, on_progress)
    except InvalidInput as exc:
        if files == 1:
            raise
        directory.forget()  # what the file created was rolled back with its savepoint
        return FileOutcome(kind, path.name, failure=exc.sentence)


def import_file(
    kind: str,
    path: Path,
    mapping: Mapping,
    directory: Directory,
    now: datetime,
    on_progress: Progress | None = None,
) -> FileOutcome:
    spec = kind_spec(kind)
    section = mapping.section(kind)
    table = read_table(path, section.read)
    converter = RowConverter(spec, section, path.name, now, table.columns)
    missing = converter.missing_columns(table.columns + [c for j in section.joins for c in _join_columns(path, j)])
    if missing and mapping.lenient:
        missing = converter.drop_optional(missing)
    if missing:
        raise InvalidInput(
            f"{path.name}: the mapping names columns the file does not have: "
            + _with_hints(missing, table.columns, {c: section.candidates(n) for n, c in converter.columns.items()}),
            detail=f"its columns: {', '.join(table.columns[:30])}",
            field=missing[0],
        )
    unmapped = converter.unmapped_required()
    if unmapped:
        looked = [f"{n} ({' or '.join(section.candidates(n))})" if section.candidates(n) else n for n in unmapped]
        raise InvalidInput(
            f"{path.name}: no column gives {', '.join(looked)}, which {kind} need; map one",
            detail=f"its columns: {', '.join(table.columns[:30])}",
            field=unmapped[0],
        )
    outcome = FileOutcome(kind, path.name, columns=list(table.columns), used=dict(converter.columns))
    rows = joined_rows(table.rows, section, path, outcome)
    report = (lambda n: on_progress(f"{kind} from {path.name}", n)) if on_progress else None
    good: list[MappedRow] = []
    if kind == "interactions":
        _import_touches(rows, converter, TouchWriter(section, directory), outcome, report)
    else:
        good = _import_records(rows, converter, RecordWriter(spec, section, directory, now), outcome, report)
    outcome.references_created = dict(directory.created)
    directory.created.clear()
    outcome.notes += table.notes
    outcome.unknown_stages = dict(converter.unknown_stages)
    outcome.warnings += checks.absent_needs(kind, path.name, outcome.used, section, good)
    outcome.warnings += checks.unknown_stages(path.name, outcome.unknown_stages)
    outcome.warnings += checks.unread_columns(
        path.name, table.columns, outcome.used, section, [f.name for f in spec.fields]
    )
    return outcome


def _with_hints(missing: list[str], columns: list[str], names: dict[str, tuple[str, ...]]) -> str:
    """The missing columns (with the other names they go by), each with the file's closest column name."""
    hinted = []
    for column in missing:
        close = difflib.get_close_matches(column, columns, n=1, cutoff=0.6)
        said = " or ".join(names.get(column) or (column,))
        hinted.append(f"{said} (did you mean {close[0]!r}?)" if close else said)
    return ", ".join(hinted)


def _import_records(
    rows: Iterator[SourceRow | RowProblem],
    converter: RowConverter,
    writer: RecordWriter,
    outcome: FileOutcome,
    report: Callable[[int], None] | None,
) -> list[MappedRow]:
    good: list[MappedRow] = []
    contacts = writer.spec.name == "contacts"
    for n, item in enumerate(rows, 1):
        row = converter.convert(item)
        if isinstance(row, MappedRow):
            row_error = writer.resolve(row, outcome.file)
            if row_error is None and contacts:
                row_error = resolve_owner(row, writer.section, writer.directory, outcome.file)
            if row_error is None:
                good.append(row)
            else:
                outcome.errors.append(row_error)
        else:
            outcome.errors.append(row)
        if report and n % 1_000 == 0:
            report(1_000)
    written = writer.write(good, outcome)
    if contacts:
        record_activity(written, outcome, converter.columns)
    return good


def _import_touches(
    rows: Iterator[SourceRow | RowProblem],
    converter: RowConverter,
    writer: TouchWriter,
    outcome: FileOutcome,
    report: Callable[[int], None] | None,
) -> None:
    touches = import_touches(rows, converter, writer, outcome.file, outcome.errors, report)
    writer.write_columns(touches, outcome)


def _join_columns(path: Path, join: Join) -> list[str]:
    return [f"{join.name}.{c}" for c in read_table(path.parent / join.file, join.read).columns]


def joined_rows(
    rows: Iterator[SourceRow | RowProblem], section: Section, path: Path, outcome: FileOutcome
) -> Iterator[SourceRow | RowProblem]:
    """Add the columns of each joined file to every row, matched on the join key."""
    lookups: list[tuple[Join, dict[Any, dict[str, Any]]]] = []
    for join in section.joins:
        other = read_table(path.parent / join.file, join.read)
        if join.on not in other.columns:
            raise InvalidInput(f"{join.file} has no column {join.on!r} to join on")
        table: dict[Any, dict[str, Any]] = {}
        for r in other.rows:
            if isinstance(r, SourceRow):
                table[r.values[join.on]] = r.values
            else:
                outcome.errors.append(RowError(join.file, r.line, "", "", r.reason))
        lookups.append((join, table))
    for item in rows:
        if isinstance(item, SourceRow):
            for join, table in lookups:
                match = table.get(item.values.get(join.on))
                if match is None:
                    item = RowProblem(item.line, f"no row of {join.file} has {join.on} {item.values.get(join.on)!r}")
                    break
                item.values.update({f"{join.name}.{k}": v for k, v in match.items()})
        yield item


def plan_folder(folder: Path, mapping: Mapping) -> list[tuple[str, Path]]:
    """The files of a folder (or an unpacked zip) this import reads, with their kinds, parents first."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TABULAR_SUFFIXES)
    joined = {j.file for s in mapping.sections.values() for j in s.joins}
    plan: list[tuple[str, Path]] = []
    for path in files:
        if path.name not in joined:
            plan += [(kind, path) for kind in _kinds_of(path, mapping)]
    if not plan:
        raise InvalidInput(f"{folder}: no file whose kind Referly recognises (name them after a kind, or map them)")
    return sorted(plan, key=lambda p: (ORDER.index(p[0]), p[1].name))


def _kinds_of(path: Path, mapping: Mapping) -> list[str]:
    """The kinds a file feeds: those whose mapping section lists it, else the one its name says."""
    listed = globbed(path.name, mapping)
    if listed or any(s.files for s in mapping.sections.values()):
        return listed  # a mapping that lists its files: anything else is not part of the import
    kind = named(path.name)
    return [kind] if kind else []


def unpack(path: Path, scratch: Path) -> Path:
    """A folder as it is; the files of a zip archive an import reads, unpacked within bounds into ``scratch``."""
    if path.is_dir():
        return path
    unpack_zip(path, scratch, wanted=lambda member: member.suffix.lower() in TABULAR_SUFFIXES)
    return scratch


def targets_for(
    kind: str | None, path: Path, mapping: Mapping, scratch: Path
) -> tuple[list[tuple[str, Path]], Mapping]:
    """The files to import with their kinds, and the mapping that reads them (a file alone may pick a preset)."""
    if kind:
        kind_spec(kind)
        if path.is_dir() or path.suffix.lower() == ".zip":
            raise InvalidInput(f"{path} is a folder or archive: leave out the kind, Referly recognises each file")
        return [(kind, path)], mapping
    if path.is_file() and path.suffix.lower() != ".zip":
        found, rules = recognise(path, mapping)
        return [(found, path)], rules
    return plan_folder(unpack(path, scratch), mapping), mapping


def summary_row(outcome: FileOutcome) -> dict[str, Any]:
    return {
        "kind": outcome.kind,
        "file": outcome.file,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
        "duplicates_merged": outcome.duplicates,
        "duplicates_flagged": outcome.flagged,
        "references_created": outcome.references_created,
        "job_changes": outcome.job_changes,
        "touches_from_crm_activity": outcome.touches,
        "failure": outcome.failure,
        "warnings": [
            {"code": w.code, "field": w.field, "message": w.message, "columns": list(w.columns)}
            for w in outcome.warnings
        ],
        "notes": list(outcome.notes),
    }
