"""What an import did, file by file: counts a person reads, and every refused row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from referly.ingest.rows import RowError
from referly.kit.sheets import SafeWriter


@dataclass(frozen=True)
class ImportWarning:
    """Something the import did not stop for but a user must know: a column it could not find or read."""

    file: str
    code: str  # missing_column, unknown_columns, unknown_stages
    message: str
    field: str = ""
    columns: tuple[str, ...] = ()

    def sentence(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class FileOutcome:
    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows repeating an earlier row of the same file
    errors: list[RowError] = field(default_factory=list)
    references_created: dict[str, int] = field(default_factory=dict)
    flagged: int = 0  # likely duplicates of existing records, listed by `referly dedupe list`
    job_changes: int = 0  # known contacts now at another account (crm.moves)
    warnings: list[ImportWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the import did that a user may not expect
    failure: str = ""  # why the whole file was not imported (the other files of a folder still are)
    columns: list[str] = field(default_factory=list)  # the file's header
    used: dict[str, str] = field(default_factory=dict)  # field -> the column it was read from
    unknown_stages: dict[str, int] = field(default_factory=dict)  # deal stage as spelled -> deals
    touches: int = 0  # CRM activity dates written as touches

    @property
    def rejected(self) -> int:
        return len(self.errors)

    @property
    def refused(self) -> bool:
        """Something of this file was not imported: a row, or the whole file."""
        return bool(self.errors or self.failure)


ERROR_COLUMNS = ("file", "line", "column", "value", "reason")


def write_error_rows(handle: IO[str], outcomes: list[FileOutcome]) -> int:
    """Every refused row as CSV into ``handle``, cells a spreadsheet would run neutralised; how many rows."""
    rows = [e for o in outcomes for e in o.errors]
    writer = SafeWriter(handle)
    writer.writerow(ERROR_COLUMNS)
    for e in rows:
        writer.writerow([e.file, e.line, e.column, e.value, e.reason])
    return len(rows)


def write_errors(path: Path, outcomes: list[FileOutcome]) -> int:
    with path.open("w", newline="", encoding="utf-8") as out:
        return write_error_rows(out, outcomes)
