"""Read tabular files into rows of named values, whatever their format, encoding or delimiter.

CSV/TSV values are strings (or None for an empty cell); XLSX and Parquet keep their native
types (numbers, dates), which the field converters accept as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from referly.errors import InvalidInput

TABULAR_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet"}
MAX_FIELD = 131_072
csv.field_size_limit(MAX_FIELD)


@dataclass(frozen=True)
class ReadOptions:
    delimiter: str | None = None
    encoding: str | None = None
    header: bool = True
    columns: tuple[str, ...] = ()
    sheet: str | None = None
    quote: str = '"'  # empty: values are never quoted (tab-separated logs whose text holds quotes)


@dataclass
class SourceRow:
    line: int
    values: dict[str, Any]


@dataclass
class RowProblem:
    """A row the reader could not split into values (broken quoting, wrong number of values)."""

    line: int
    reason: str


@dataclass
class SourceTable:
    path: Path
    columns: list[str]
    rows: Iterator[SourceRow | RowProblem]
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)


def read_table(path: Path, options: ReadOptions = ReadOptions()) -> SourceTable:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if suffix == ".xlsx":
        return _read_xlsx(path, options)
    if suffix == ".parquet":
        return _read_parquet(path, options)
    return _read_delimited(path, options)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and its encoding: the one given, else UTF-8 (with or without BOM), cp1252, or latin-1."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInput(f"cannot read the file as {encoding}: {exc}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for candidate in ("utf-8", "cp1252"):
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def sniff_delimiter(sample: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(",;\t|", key=first.count) if any(c in first for c in ",;\t|") else ","


def _read_delimited(path: Path, options: ReadOptions) -> SourceTable:
    try:
        text, encoding = decode(path.read_bytes(), options.encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name}: the text is not valid {exc.encoding}") from None
    if not text.strip():
        raise InvalidInput(f"{path.name}: the file is empty")
    delimiter = options.delimiter or sniff_delimiter(text[:65_536], path.suffix.lower())
    source = io.StringIO(text, newline="")
    if options.quote:
        reader = csv.reader(source, delimiter=delimiter, strict=True, quotechar=options.quote)
    else:
        reader = csv.reader(source, delimiter=delimiter, strict=True, quoting=csv.QUOTE_NONE)
    columns = list(options.columns)
    if options.header:
        try:
            header = next(reader)
        except csv.Error as exc:
            raise InvalidInput(f"{path.name}: the header row cannot be read ({exc})") from None
        columns = columns or [h.strip() for h in header]
        if len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if columns.count(c) > 1})
            raise InvalidInput(f"{path.name}: the header names a column twice: {', '.join(twice)}")
    if not columns:
        raise InvalidInput(f"{path.name}: the file has no header row; name its columns in the mapping")
    return SourceTable(path, columns, _delimited_rows(reader, columns), encoding, delimiter)


def _delimited_rows(reader: Any, columns: list[str]) -> Iterator[SourceRow | RowProblem]:
    width = len(columns)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field larger" in reason:
                reason = f"a value is longer than {MAX_FIELD:,} characters"
            yield RowProblem(reader.line_num, f"the row cannot be read: {reason}")
            continue
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != width:
            yield RowProblem(reader.line_num, f"the row has {len(values)} values, the header has {width} columns")
            continue
        yield SourceRow(reader.line_num, {c: (v if v.strip() else None) for c, v in zip(columns, values, strict=True)})


def _read_xlsx(path: Path, options: ReadOptions) -> SourceTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InvalidInput(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    if options.sheet and options.sheet not in book.sheetnames:
        raise InvalidInput(f"{path.name}: no sheet named {options.sheet!r} (sheets: {', '.join(book.sheetnames)})")
    sheet = book[options.sheet] if options.sheet else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    columns = list(options.columns)
    if options.header:
        header = next(rows, None)
        if header is None:
            raise InvalidInput(f"{path.name}: the sheet is empty")
        columns = columns or [str(h).strip() if h is not None else "" for h in header]

    def produce() -> Iterator[SourceRow | RowProblem]:
        for number, values in enumerate(rows, start=2 if options.header else 1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            cells = [None if isinstance(v, str) and not v.strip() else v for v in values]
            yield SourceRow(number, dict(zip(columns, cells, strict=False)))
        book.close()

    return SourceTable(path, columns, produce())


def _read_parquet(path: Path, options: ReadOptions) -> SourceTable:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise InvalidInput(f"{path.name}: not a readable Parquet file ({exc})") from None
    columns = list(parquet.schema_arrow.names)

    def produce() -> Iterator[SourceRow | RowProblem]:
        line = 0
        for batch in parquet.iter_batches(batch_size=50_000):
            for record in batch.to_pylist():
                line += 1
                yield SourceRow(line, record)

    return SourceTable(path, columns, produce())
