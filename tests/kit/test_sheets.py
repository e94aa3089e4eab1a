"""The one CSV writer: no cell it writes starts a formula, a plain number stays a number, and nothing else
in Referly writes CSV or XLSX around it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from referly.kit.sheets import TRIGGERS, SafeDictWriter, SafeWriter, safe_cell, safe_table, write_table_csv

SOURCE = Path(__file__).resolve().parents[2] / "src" / "referly"
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))  # what Arrow and a CSV file can hold
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(str).filter(lambda t: "E" not in t),
)


@given(st.one_of(TEXT, st.sampled_from(TRIGGERS).flatmap(lambda t: TEXT.map(lambda rest: t + rest))))
def test_no_text_comes_out_starting_a_formula_unless_it_is_a_plain_number(text: str) -> None:
    shown = safe_cell(text)
    if shown.startswith(TRIGGERS):
        assert shown == text and float(text) == float(text), "only a number keeps its sign"
    else:
        assert shown in (text, "'" + text), "the text itself, at most behind an apostrophe"


@given(NUMBERS)
def test_a_plain_number_stays_a_number(number: str) -> None:
    assert safe_cell(number) == number


@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_values_that_are_not_text_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) is value


def test_the_writers_neutralise_every_cell_and_the_header() -> None:
    out = io.StringIO()
    SafeWriter(out).writerows([["=1+1", "-3", "+33 1 42"], ["@SUM(A1)", "\tx", "plain"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-3", "'+33 1 42"],
        ["'@SUM(A1)", "'\tx", "plain"],
    ]
    out = io.StringIO()
    writer = SafeDictWriter(out, ["name", "=HYPERLINK()"])
    writer.writeheader()
    writer.writerow({"name": "-1-1", "=HYPERLINK()": "1.5e3"})
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["name", "'=HYPERLINK()"], ["'-1-1", "1.5e3"]]


@given(st.lists(st.one_of(st.none(), TEXT, NUMBERS), max_size=20))
def test_an_arrow_table_follows_the_same_rule_cell_by_cell(cells: list[str | None]) -> None:
    table = pa.table({"=name": pa.array(cells, type=pa.string()), "n": pa.array(range(len(cells)))})
    safe = safe_table(table)
    assert safe.column_names == ["'=name", "n"]
    assert safe.column(0).to_pylist() == [safe_cell(c) for c in cells]
    assert safe.column(1).to_pylist() == list(range(len(cells)))


def test_an_arrow_table_written_as_csv_reads_back_neutralised(tmp_path: Path) -> None:
    write_table_csv(pa.table({"name": ["=cmd|' /C calc'!A0", "-7", None]}), tmp_path / "t.csv")
    assert list(csv.reader((tmp_path / "t.csv").open(newline=""))) == [["name"], ["'=cmd|' /C calc'!A0"], ["-7"], []]


WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|pyarrow\.csv|\bpcsv\b|\.to_csv\(|Workbook\(|\bCOPY\b.*\bTO\b")


def test_no_module_writes_csv_or_a_workbook_around_the_one_writer() -> None:
    """A new CSV or XLSX writer goes through referly.kit.sheets (SafeWriter, SafeDictWriter, write_table_csv;
    safe_cell on each string cell of a workbook)."""
    found = [
        f"{path.relative_to(SOURCE)}:{n}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path != SOURCE / "kit" / "sheets.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRITERS.search(line)
    ]
    assert found == []
