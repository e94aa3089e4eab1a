"""Malformed files never crash an import, every bad row is named, and nothing is half-written.

Each generated file mixes clean rows with rows broken one way (wrong type, negative amount,
unknown stage, future date, broken quoting, a huge value, a wrong number of values), written in
one of the encodings exports come in. The test knows which rows are clean: exactly those are
imported, every other row is refused with its own line number, and a strict import of a file with
any bad row writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referly.crm.models import Opportunity
from referly.errors import InvalidInput
from referly.ingest.importer import run_import
from referly.ingest.mapping import Mapping

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, tzinfo=UTC)
HEADER = "external_id,name,amount,stage,created_on"
BREAKS = {
    "wrong type": lambda r: r.replace(",1200.50,", ",twelve hundred,"),
    "negative amount": lambda r: r.replace(",1200.50,", ",-5,"),
    "amount with a unit": lambda r: r.replace(",1200.50,", ",1200.50 kg,"),
    "future date": lambda r: r.replace(",2026-03-01", ",2031-03-01"),
    "bad date": lambda r: r.replace(",2026-03-01", ",31/31/2026"),
    "broken quoting": lambda r: r.replace(",Deal", ',"Deal"x'),
    "huge value": lambda r: r.replace(",Deal", "," + "D" * 200_000),
    "extra value": lambda r: r + ",surplus",
}
rows = st.lists(st.one_of(st.none(), st.sampled_from(sorted(BREAKS))), min_size=0, max_size=12)


def write(folder: Path, breaks: list[str | None], encoding: str, newline: str) -> Path:
    lines = [HEADER]
    for i, broken in enumerate(breaks):
        row = f"opp-{i},Deal {i} é,1200.50,won,2026-03-01"
        lines.append(BREAKS[broken](row) if broken else row)
    path = folder / "opportunities.csv"
    path.write_bytes(newline.join(lines).encode(encoding, errors="replace") + newline.encode())
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    breaks=rows,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    strict=st.booleans(),
)
def test_bad_rows_are_refused_one_by_one_and_clean_rows_imported(
    tmp_path: Path, breaks: list[str | None], encoding: str, newline: str, strict: bool
) -> None:
    path = write(tmp_path, breaks, encoding, newline)
    with transaction.atomic():
        result = run_import([("opportunities", path)], Mapping("test"), now=NOW, strict=strict)
        outcome = result.outcomes[0]
        bad_lines = {i + 2 for i, b in enumerate(breaks) if b is not None}
        assert {e.line for e in outcome.errors} == bad_lines
        assert all(e.reason and e.file == "opportunities.csv" for e in outcome.errors)
        clean = [f"opp-{i}" for i, b in enumerate(breaks) if b is None]
        stored = sorted(Opportunity.objects.values_list("external_id", flat=True))
        if strict and bad_lines:
            assert stored == [] and not result.written
        else:
            assert stored == sorted(clean)
            assert set(Opportunity.objects.values_list("name", flat=True)) <= {f"Deal {i} é" for i in range(12)}
        transaction.set_rollback(True)


def test_an_empty_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_bytes(b"")
    with pytest.raises(InvalidInput, match="the file is empty"):
        run_import([("accounts", tmp_path / "accounts.csv")], Mapping("test"), now=NOW)


def test_a_file_missing_a_required_column_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("domain,industry\nacme.example,Software\n")
    with pytest.raises(InvalidInput, match="no column gives name"):
        run_import([("accounts", tmp_path / "accounts.csv")], Mapping("test"), now=NOW)
