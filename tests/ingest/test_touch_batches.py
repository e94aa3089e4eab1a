"""Interactions typed a batch at a time accept exactly the rows, and refuse them with exactly the words, that
the row-by-row path does, whatever mess the cells hold; and whole columns of times are typed as one cell is."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referly.ingest.directory import Directory
from referly.ingest.importer import joined_rows
from referly.ingest.kinds import kind_spec
from referly.ingest.mapping import parse_mapping
from referly.ingest.moments import micros, moments, stored_times
from referly.ingest.outcome import FileOutcome
from referly.ingest.readers import read_table
from referly.ingest.rows import MappedRow, RowConverter, RowError
from referly.ingest.touch_batches import import_touches
from referly.ingest.touches import TouchWriter
from referly.ingest.values import BadValue, moment
from tests.factories import make_contact, make_teammate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
MAPPING = """source_system = "demo"
[interactions.fields]
teammate = "teammate"
contact = "contact"
kind = "kind"
occurred_at = "at"
[interactions.references]
contact = { by = "external_id" }
"""
TEAMMATES = ["team-1", " team-1 ", "team-2", "Ann Lee", "ann.lee@northbeam.example", "ghost", "", "  ", "x" * 300]
CONTACTS = ["c-1", "c-2", " c-2", "C-1", "nobody", "", "c-1\x00"]
KINDS = ["call", "Call", "email-out", "email_in ", "meeting", "tweet", "", "note", "Crm Activity"]
AWKWARD_TIMES = [
    "2026-02-30",
    "2024-02-29T10:00:00Z",
    "2025-02-29",
    "2026-10-31 23:59:59+05:30",
    "2026-10-31T23:59:59-11:45",
    "1899-12-31",
    "1900-01-01T00:00:00+01:00",
    "2031-01-01",
    "2026-11-02T09:30:00Z",
    "2026-11-02T09:30:01Z",
    "2026-11-02T12:00:00+03:00",
    "2026-13-01",
    "2026-01-01T24:00:00",
    "2026-01-01T10:60:00",
    "2026-01-01T10:00:60",
    "2026-01-01T10:00:00.5Z",
    "2026-01-01T10:00:00.250000+00:00",
    " 2026-01-01",
    "2026-01-01T10:00:00+24:00",
    "2026-01-01T10:00:00+02:60",
    "2026-01-01T10:00",
    "20260101",
    "2026-W01-1",
    "",
    "yesterday",
    "2026-01-01Z",
    "0000-01-01",
]


def _shaped_time() -> st.SearchStrategy[str]:
    """Times of the shapes typed whole, with every part a little out of range now and then."""
    return st.builds(
        lambda y, mo, d, clock, h, mi, s, zone: (
            f"{y:04d}-{mo:02d}-{d:02d}" + (f"{clock}{h:02d}:{mi:02d}:{s:02d}{zone}" if clock else "")
        ),
        st.integers(1890, 2035),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", "T", " "]),
        st.integers(0, 24),
        st.integers(0, 60),
        st.integers(0, 60),
        st.sampled_from(["", "Z", "+00:00", "-05:30", "+14:00", "+23:59", "+24:00", "-00:00", "+05:60"]),
    )


times = st.one_of(st.sampled_from(AWKWARD_TIMES), _shaped_time())
rows = st.lists(
    st.tuples(st.sampled_from(TEAMMATES), st.sampled_from(CONTACTS), st.sampled_from(KINDS), times),
    min_size=1,
    max_size=40,
)


@pytest.fixture
def people() -> None:
    make_teammate("Ann Lee", external_id="team-1", source_system="demo")
    make_teammate(
        "Ann Lee", email="ann.2@northbeam.example", external_id="team-2", source_system="demo"
    )  # a shared name
    make_contact(external_id="c-1", source_system="demo")
    make_contact(external_id="c-2", source_system="demo")


def _write(folder: Path, cells: list[tuple[str, str, str, str]], breaks: bool) -> Path:
    path = folder / "interactions.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["teammate", "contact", "kind", "at"])
        for n, row in enumerate(cells):
            writer.writerow([*row, "surplus"] if breaks and n % 7 == 3 else row)
    return path


def _row_by_row(path: Path) -> tuple[list[tuple[int, int, int, int]], list[RowError]]:
    section, converter, writer, outcome = _setup(path)
    touches, errors = [], []
    for item in joined_rows(read_table(path, section.read).rows, section, path, outcome):
        row = converter.convert(item)
        touch = writer.touch(row, path.name) if isinstance(row, MappedRow) else row
        if isinstance(touch, RowError):
            errors.append(touch)
        else:
            touches.append((touch[0], touch[1], touch[2], micros(touch[3])))
    return sorted(touches), errors


def _in_batches(path: Path) -> tuple[list[tuple[int, int, int, int]], list[RowError]]:
    section, converter, writer, outcome = _setup(path)
    rows = joined_rows(read_table(path, section.read).rows, section, path, outcome)
    columns = import_touches(rows, converter, writer, path.name, outcome.errors, None)
    unique, _ = columns.unique()
    every = [
        np.concatenate(c).tolist() if c else [] for c in (columns.contact, columns.teammate, columns.kind, columns.at)
    ]
    touches = sorted(zip(*every, strict=True))
    assert len(unique[0]) == len(set(touches))
    return touches, outcome.errors


def _setup(path: Path) -> tuple[object, RowConverter, TouchWriter, FileOutcome]:
    mapping = parse_mapping(MAPPING, "test")
    section = mapping.section("interactions")
    table = read_table(path, section.read)
    converter = RowConverter(kind_spec("interactions"), section, path.name, NOW, table.columns)
    return section, converter, TouchWriter(section, Directory("demo", NOW)), FileOutcome("interactions", path.name)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=rows, breaks=st.booleans())
def test_batches_accept_and_refuse_the_rows_the_row_by_row_path_does(
    tmp_path: Path, people: None, cells: list[tuple[str, str, str, str]], breaks: bool
) -> None:
    path = _write(tmp_path, cells, breaks)
    expected_touches, expected_errors = _row_by_row(path)
    touches, errors = _in_batches(path)
    assert [e.sentence() for e in errors] == [e.sentence() for e in expected_errors]
    assert touches == expected_touches


@settings(max_examples=200)
@given(cells=st.lists(times, min_size=1, max_size=30))
def test_a_column_of_times_is_typed_as_each_cell_is(cells: list[str]) -> None:
    import pyarrow as pa

    stamps, typed = moments(pa.array(cells, type=pa.string()), NOW)
    for cell, stamp, whole in zip(cells, stamps.tolist(), typed.tolist(), strict=True):
        try:
            one = moment(cell, None, NOW)
        except BadValue:
            one = None
        if whole:  # typed whole: exactly the time the cell gives
            assert one is not None and micros(one) == stamp, cell
        if one is not None:  # stored as Django stores the same time
            (text,) = stored_times(np.array([micros(one)], dtype=np.int64), "sqlite")
            assert text == one.replace(tzinfo=None).isoformat(" ")
