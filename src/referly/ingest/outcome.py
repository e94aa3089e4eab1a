"""What an import did, file by file: counts a person reads, and every refused row."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from referly.ingest.rows import RowError


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

    @property
    def rejected(self) -> int:
        return len(self.errors)


def write_errors(path: Path, outcomes: list[FileOutcome]) -> int:
    rows = [e for o in outcomes for e in o.errors]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "line", "column", "value", "reason"])
        for e in rows:
            writer.writerow([e.file, e.line, e.column, e.value, e.reason])
    return len(rows)
