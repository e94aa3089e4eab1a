"""Capturing LinkedIn's Connections.csv: reading the export, matching people, what is skipped, doing it twice."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from referly.capture.connections import CONFIDENCE, capture_connections
from referly.capture.linkedin import HEADER, LinkedInConnection, connection_date, decode, parse
from referly.crm.models import Connection, ConnectionKind, Contact, ForgottenAddress, Signal, address_digest
from referly.errors import InvalidInput, NotFound
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
# The shape of LinkedIn's data export ("Get a copy of your data" → Connections), as LinkedIn documents and
# writes it: a "Notes:" preamble explaining the missing e-mail addresses, a blank line, then the header
# and one row per connection, dated like "05 Dec 2026"; UTF-8 with a byte-order mark, CRLF line endings.
NOTES = (
    "Notes:\r\n"
    '"When exporting your connection data, you may notice that some of the email addresses are missing. You will '
    "only see email addresses for connections who have allowed their connections to see or download their email "
    "address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\r\n'
    "\r\n"
)


def export(rows: list[list[str]], *, notes: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return (NOTES if notes else "") + out.getvalue()


def row(first: str, last: str, company: str, on: str = "05 Dec 2026", email: str = "", position: str = "") -> list[str]:
    slug = f"{first}-{last}".lower().replace(" ", "-")
    return [first, last, f"https://www.linkedin.com/in/{slug}", email, company, position, on]


def write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "Connections.csv"
    path.write_bytes(b"\xef\xbb\xbf" + export(rows).encode("utf-8"))
    return path


# -- reading the export --------------------------------------------------------------------------------


def test_the_export_is_read_after_its_notes_with_lines_named_in_errors() -> None:
    text = export([
        row("Jane", "Roe", "Acme", email="jane@acme.example", position="COO"),
        row("", "", "Acme"),  # a member who left LinkedIn
        row("Hélène", "Müller", "Globex, Inc.", on="5 Dec 2026"),
        row("Sam", "Poe", "Acme", on="32 Dec 2026"),
        row("Tom", "Ray", "Acme", on=""),
    ])  # fmt: skip
    found = parse(decode(b"\xef\xbb\xbf" + text.encode("utf-8")), "Connections.csv", TODAY)
    assert found.connections == [
        LinkedInConnection(5, "Jane", "Roe", "jane@acme.example", "Acme", "COO",
                           "https://www.linkedin.com/in/jane-roe", date(2026, 12, 5)),
        LinkedInConnection(7, "Hélène", "Müller", "", "Globex, Inc.", "",
                           "https://www.linkedin.com/in/hélène-müller", date(2026, 12, 5)),
    ]  # fmt: skip
    assert [str(e) for e in found.errors] == [
        "Connections.csv line 6: First Name: no name",
        "Connections.csv line 8: Connected On: not a date: '32 Dec 2026'",
        "Connections.csv line 9: Connected On: missing",
    ]
    assert found.rows == 5


def test_an_older_export_without_notes_or_url_column_is_read_by_column_names() -> None:
    text = "First Name,Last Name,Email Address,Company,Position,Connected On\nJane,Roe,,Acme,COO,05 Dec 2026\n"
    (jane,) = parse(text, "Connections.csv", TODAY).connections
    assert (jane.first_name, jane.company, jane.position, jane.url, jane.line) == ("Jane", "Acme", "COO", "", 2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("05 Dec 2026", None),
        ("2026-12-05", None),
        ("5 December 2026", None),
        ("05 Dec 2027", "impossible date 2027-12-05"),
        ("01 Jan 1999", "impossible date 1999-01-01"),
        ("31 Feb 2026", "not a date: '31 Feb 2026'"),
        ("Dec 05 2026", "not a date: 'Dec 05 2026'"),
    ],
)
def test_connection_dates(text: str, reason: str | None) -> None:
    if reason is None:
        assert connection_date(text, TODAY) == date(2026, 12, 5)
    else:
        with pytest.raises(ValueError, match=reason):
            connection_date(text, TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        NOTES,
        "Name,Company\nJane Roe,Acme\n",
        "From: someone@example.com\nSubject: not a CSV at all\n",
    ],
)
def test_a_file_without_the_header_line_is_refused_in_one_sentence_naming_it(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(text, "Connections.csv", TODAY)
    assert str(refused.value) == (
        "Connections.csv is not LinkedIn's Connections.csv: it has no header line "
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
    )


def test_a_header_missing_a_needed_column_names_it() -> None:
    with pytest.raises(InvalidInput, match="no Company, Connected On column"):
        parse("First Name,Last Name,URL\nJane,Roe,x\n", "Connections.csv", TODAY)


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)
cells = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
days = st.dates(min_value=date(2003, 5, 5), max_value=TODAY)


@given(st.lists(st.tuples(names, names, cells, cells, cells, days), max_size=12), st.booleans())
def test_every_row_written_as_linkedin_writes_it_reads_back(
    people: list[tuple[str, str, str, str, str, date]], notes: bool
) -> None:
    rows = [[f, la, "", e, c, p, d.strftime("%d %b %Y")] for f, la, e, c, p, d in people]
    found = parse(decode(export(rows, notes=notes).encode("utf-8")), "Connections.csv", TODAY)
    assert found.errors == []
    assert [(c.first_name, c.last_name, c.email, c.company, c.position, c.connected_on) for c in found.connections] == [
        (f.strip(), la.strip(), e.strip(), c.strip(), p.strip(), d) for f, la, e, c, p, d in people
    ]


@given(st.text(), st.binary(max_size=200))
def test_any_file_is_rows_and_named_errors_or_one_refusal_never_a_traceback(tail: str, raw: bytes) -> None:
    for text in (export([]) + tail, decode(raw), decode(export([]).encode() + raw)):
        try:
            found = parse(text, "Connections.csv", TODAY)
        except InvalidInput:
            continue
        assert all(e.where.startswith("Connections.csv line ") for e in found.errors)
        assert found.rows == len(found.connections) + len(found.errors)


# -- capturing -------------------------------------------------------------------------------------------


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("REFERLY_CAPTURE_BLOCKLIST", "blocked.example")
    acme = make_account("Acme", domain="acme.example", lifecycle="client")
    globex = make_account("Globex Inc.", domain="globex.example")
    ForgottenAddress.objects.create(digest=address_digest("gone@acme.example"), forgotten_at=NOW)
    return {
        "alice": make_teammate("Alice Martin", email="alice@northbeam.example"),
        "acme": acme,
        "globex": globex,
        "jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example"),
        "helene": make_contact(globex, first_name="Hélène", last_name="Müller", email=None),
        "dan": make_contact(acme, first_name="Dan", last_name="Noe", do_not_contact=True),
    }


def connections_file(tmp_path: Path) -> Path:
    return write(tmp_path, [
        row("Jane", "Roe", "Acme", email="Jane@Acme.example"),  # by e-mail
        row("helene", "MULLER", "Globex", on="12 Mar 2021"),  # by name at the company: accents, case, suffix
        row("Sam", "Poe", "ACME, Inc.", position="Head of Finance", email="sam.poe@gmail.com"),  # new, at Acme
        row("Ann", "Other", "Initech"),  # no such account
        row("Spy", "Vee", "Acme", email="spy@blocked.example"),
        row("Gone", "Person", "Acme", email="gone@acme.example"),
        row("Dan", "Noe", "Acme"),  # do not contact
        row("Jane", "Roe", "Acme"),  # Jane again, by name this time
        row("", "", "Acme"),
        row("Bad", "Date", "Acme", on="yesterday"),
    ])  # fmt: skip


def declared(alice: Any) -> dict[str, tuple[str, float, date | None]]:
    ties = Connection.objects.filter(teammate=alice, kind=ConnectionKind.DECLARED).select_related("from_contact")
    return {t.from_contact.name: (t.provenance, t.confidence, t.since) for t in ties}


def test_each_connection_is_a_declared_tie_people_are_matched_created_or_skipped_and_twice_adds_nothing(
    world: dict[str, Any], tmp_path: Path
) -> None:
    path = connections_file(tmp_path)
    first = capture_connections(path, teammate="Alice@Northbeam.example", now=NOW)
    assert declared(world["alice"]) == {
        "Jane Roe": ("LinkedIn connection, 2026-12-05", CONFIDENCE, date(2026, 12, 5)),
        "Hélène Müller": ("LinkedIn connection, 2021-03-12", CONFIDENCE, date(2021, 3, 12)),
        "Sam Poe": ("LinkedIn connection, 2026-12-05", CONFIDENCE, date(2026, 12, 5)),
    }
    sam = Contact.objects.get(first_name="Sam")
    # a personal address finds people, but is never kept as a contact's e-mail
    assert (sam.account, sam.title, sam.source_system, sam.email) == (world["acme"], "Head of Finance", "capture", None)
    assert (first.read, first.captured, first.duplicates, first.added, len(first.errors)) == (10, 3, 1, 3, 2)
    assert dict(first.skipped) == {
        "company not an account": 1,
        "blocklisted": 1,
        "forgotten": 1,
        "do not contact": 1,
    }
    assert first.accounted == first.read
    assert dict(first.people) == {"matched": 2, "created": 1}
    assert not Contact.objects.filter(first_name__in=["Ann", "Spy", "Gone"]).exists()

    again = capture_connections(path, teammate="alice@northbeam.example", now=NOW)
    assert (again.captured, again.added) == (3, 0)
    assert dict(again.people) == {"matched": 3}
    assert Contact.objects.count() == 4 and Connection.objects.count() == 3


def test_strict_refuses_the_whole_file_and_a_dry_run_writes_nothing(world: dict[str, Any], tmp_path: Path) -> None:
    path = connections_file(tmp_path)
    strict = capture_connections(path, teammate="alice@northbeam.example", now=NOW, strict=True)
    assert strict.refused and len(strict.errors) == 2
    dry = capture_connections(path, teammate="alice@northbeam.example", now=NOW, dry_run=True)
    assert (dry.added, dry.refused) == (3, False)
    assert Connection.objects.count() == 0 and Contact.objects.count() == 3


def test_the_teammate_must_exist(world: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"No teammate has the e-mail bob@northbeam\.example"):
        capture_connections(connections_file(tmp_path), teammate="bob@northbeam.example", now=NOW)


def test_a_contact_the_export_shows_at_another_account_has_changed_jobs(world: dict[str, Any], tmp_path: Path) -> None:
    make_contact(world["acme"], first_name="Tom", last_name="Ray")
    path = write(tmp_path, [
        row("Jane", "Roe", "Globex", email="jane@acme.example"),  # her e-mail, a new employer
        row("Tom", "Ray", "Globex Inc"),  # nobody of that name at Globex; the only Tom Ray is at Acme
    ])  # fmt: skip
    summary = capture_connections(path, teammate="alice@northbeam.example", now=NOW)
    assert summary.people["job changes"] == 2
    moved = Contact.objects.filter(first_name__in=["Jane", "Tom"])
    assert {c.account for c in moved} == {world["globex"]}
    details = sorted(Signal.objects.filter(kind="job_change").values_list("detail", "occurred_on"))
    assert details == [("from Acme (LinkedIn connections of Alice Martin)", TODAY)] * 2
    assert capture_connections(path, teammate="alice@northbeam.example", now=NOW).people["job changes"] == 0
    assert Signal.objects.filter(kind="job_change").count() == 2


# -- the command -----------------------------------------------------------------------------------------


@pytest.fixture
def referly(cli: Callable[..., Result]) -> Iterator[Callable[..., Result]]:
    """`referly` with `capture linkedin` in it, whether or not it is wired into the group yet."""
    from referly.capture.commands import capture
    from referly.capture.linkedin_commands import linkedin

    wired = "linkedin" in capture.commands
    capture.add_command(linkedin)
    yield cli
    if not wired:
        capture.commands.pop("linkedin")


def test_the_command_prints_the_summary_and_says_what_went_wrong(
    world: dict[str, Any], tmp_path: Path, referly: Callable[..., Result]
) -> None:
    path = connections_file(tmp_path)
    shown = referly("capture", "linkedin", str(path), "--teammate", "alice@northbeam.example")
    assert shown.exit_code == 0, shown.output
    assert "connections read" in shown.output and "connections added" in shown.output
    assert "Connections.csv line 13: First Name: no name" in shown.output
    again = referly("capture", "linkedin", str(path), "--teammate", "alice@northbeam.example", "--json")
    assert json.loads(again.output)["added"] == 0
    strict = referly("capture", "linkedin", str(path), "--teammate", "alice@northbeam.example", "--strict")
    assert strict.exit_code == 1 and "nothing was captured (--strict)" in strict.output
    nobody = referly("capture", "linkedin", str(path), "--teammate", "bob@northbeam.example")
    assert nobody.exit_code == 3 and "No teammate has the e-mail bob@northbeam.example" in nobody.output
    (tmp_path / "other.csv").write_text("Name,Company\nJane Roe,Acme\n")
    wrong = referly("capture", "linkedin", str(tmp_path / "other.csv"), "--teammate", "alice@northbeam.example")
    assert wrong.exit_code == 2 and "has no header line First Name,Last Name,URL" in wrong.output


def test_a_file_too_large_for_a_linkedin_export_is_refused_before_it_is_read(
    world: dict[str, Any], tmp_path: Path
) -> None:
    huge = tmp_path / "Connections.csv"
    with huge.open("wb") as handle:  # sparse: 65 MB claimed, nothing written
        handle.truncate(65 * 1024**2)
    with pytest.raises(InvalidInput, match=r"Connections\.csv: 68,157,440 bytes, more than the 67,108,864"):
        capture_connections(huge, teammate="alice@northbeam.example", now=NOW)
    assert Connection.objects.count() == 0
