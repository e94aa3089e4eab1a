"""Every CSV Referly writes goes through here: cells a spreadsheet would run as formulas are neutralised.

OWASP's rule (CSV injection): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel, LibreOffice and Google Sheets. Such a cell is written with a leading
apostrophe, which spreadsheets show as text. A plain number ("-12.5") is left as it is. Header cells too:
a header may come from an imported file. Arrow tables (the analysts' CSV tables) get the same rule,
column by column (``safe_table``, ``write_table_csv``). A workbook written with openpyxl passes each
string cell through ``safe_cell``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRIGGER = re.compile(r"^[=+\-@\t\r]")  # what TRIGGERS says, for Arrow's regular expressions


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never run it: text that would start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes through :func:`safe_cell`."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose every cell passes through :func:`safe_cell`."""

    def __init__(self, handle: IO[str], fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(handle, fieldnames=fieldnames, **options)
        self._fieldnames = list(fieldnames)

    def writeheader(self) -> None:
        self._writer.writerow({name: safe_cell(name) for name in self._fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({key: safe_cell(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every text cell passed through the rule of :func:`safe_cell` (and its column names)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, _TRIGGER.pattern),
                pc.invert(pc.match_substring_regex(column, f"^(?:{_NUMBER.pattern})$")),
            )
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=[str(safe_cell(name)) for name in table.column_names])


def write_table_csv(table: pa.Table, path: Path) -> None:
    """Write an Arrow table as CSV (a header row, then the rows), every text cell neutralised."""
    import pyarrow.csv as pcsv

    pcsv.write_csv(safe_table(table), path)
