"""`referly export tables`: every table in every format, read back as stored, and nobody named without consent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from referly.connect.table_schemas import TABLES
from referly.connect.tables import (
    check_out,
    pseudonym,
    pseudonym_key,
    pseudonymize,
    table_sql,
)

DAY = "2026-11-01"
Export = Callable[..., Result]
NAMES = [spec.name for spec in TABLES]


@pytest.fixture
def export() -> Export:
    """Run `tables ARGS` the way `referly export tables ARGS` runs it: expected failures are one line and a code."""
    from referly.cli import ReferlyGroup
    from referly.connect.tables_commands import tables

    group = ReferlyGroup(commands={"tables": tables})

    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(group, ["tables", *map(str, args)], catch_exceptions=False)

    return invoke


@pytest.fixture
def company(cli: Callable[..., Result], db: Any) -> None:
    """The tiny demo company, scored."""
    made = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY)
    assert made.exit_code == 0, made.output
    scored = cli("score", "--as-of", DAY)
    assert scored.exit_code == 0, scored.output


def database_counts() -> dict[str, int]:
    from referly.crm.models import Account, Contact, Opportunity, Teammate
    from referly.referrals.models import Ask, Referral, ReferralTransition
    from referly.scoring.models import NextBestAction, SponsorScore
    from referly.scoring.queries import latest_run

    run = latest_run()
    return {
        "teammates": Teammate.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "referrals": Referral.objects.count(),
        "referral_stage_history": ReferralTransition.objects.count(),
        "asks": Ask.objects.count(),
        "credits": Referral.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "sponsor_scores": SponsorScore.objects.filter(run=run).count(),
        "next_best_actions": NextBestAction.objects.filter(run=run).count(),
    }


def duckdb_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: con.execute(f'SELECT * FROM "{name}"').fetchall() for name in NAMES}
    finally:
        con.close()


def read_back(folder: Path) -> dict[str, pa.Table]:
    """Every table of an export folder, whatever its format, as Arrow tables of the declared schema."""
    fmt = json.loads((folder / "manifest.json").read_text())["format"]
    if fmt == "parquet":
        return {name: pq.read_table(folder / f"{name}.parquet") for name in NAMES}
    if fmt == "csv":
        specs = {spec.name: spec for spec in TABLES}
        return {
            name: pcsv.read_csv(
                folder / f"{name}.csv",
                convert_options=pcsv.ConvertOptions(
                    column_types=specs[name].schema, strings_can_be_null=True, quoted_strings_can_be_null=False
                ),
            )
            for name in NAMES
        }
    con = duckdb.connect(str(folder / "referly.duckdb"), read_only=True)
    try:
        return {name: con.sql(f'SELECT * FROM "{name}"').to_arrow_table() for name in NAMES}
    finally:
        con.close()


# --- every format, every table, the rows of the database ------------------------------------------------


@pytest.mark.django_db
def test_each_format_writes_every_table_with_the_rows_of_the_database(
    company: None, export: Export, tmp_path: Path
) -> None:
    from referly.crm.models import Account, Contact, Opportunity
    from referly.referrals.models import Referral
    from referly.scoring.models import NextBestAction
    from referly.scoring.queries import latest_run

    counts = database_counts()
    assert all(counts.values()), f"the scored tiny demo fills every table: {counts}"
    for fmt in ("parquet", "csv", "duckdb"):
        made = export("--format", fmt, "--out", tmp_path / fmt)
        assert made.exit_code == 0, made.output
        manifest = json.loads((tmp_path / fmt / "manifest.json").read_text())
        assert manifest["format"] == fmt and manifest["personal_data_removed"] is False
        assert {name: t["rows"] for name, t in manifest["tables"].items()} == counts
        assert manifest["score_run"]["id"] == latest_run().pk  # type: ignore[union-attr]
        datetime.fromisoformat(manifest["as_of"])
        tables = read_back(tmp_path / fmt)
        for spec in TABLES:
            assert tables[spec.name].num_rows == counts[spec.name], (fmt, spec.name)
            assert tables[spec.name].column_names == [c.name for c in spec.columns]
        if fmt != "duckdb":
            for spec in TABLES:
                assert tables[spec.name].schema.equals(spec.schema, check_metadata=False), (fmt, spec.name)
    assert sorted(p.name for p in (tmp_path / "duckdb").iterdir()) == ["manifest.json", "referly.duckdb"]

    # Parquet, read by pyarrow and by DuckDB: the same rows, and the database's values.
    folder = tmp_path / "parquet"
    by_arrow = {name: pq.read_table(folder / f"{name}.parquet") for name in NAMES}
    con = duckdb.connect()
    for name in NAMES:
        rows = con.execute(f"SELECT * FROM read_parquet('{folder / name}.parquet')").fetchall()
        assert rows == [tuple(r.values()) for r in by_arrow[name].to_pylist()], name
    # ... and the DuckDB file holds the very same rows.
    assert duckdb_tables(tmp_path / "duckdb" / "referly.duckdb") == {
        name: [tuple(r.values()) for r in table.to_pylist()] for name, table in by_arrow.items()
    }

    contact = Contact.objects.exclude(email=None).order_by("-id").first()
    assert contact is not None
    found = con.execute(
        f"SELECT email, first_name, last_name, account_id FROM read_parquet('{folder}/contacts.parquet') WHERE id = ?",
        [contact.pk],
    ).fetchall()
    assert found == [(contact.email, contact.first_name, contact.last_name, contact.account_id)]

    account = Account.objects.exclude(annual_revenue=None).order_by("id").first()
    assert account is not None
    accounts = by_arrow["accounts"].to_pylist()
    mine = next(row for row in accounts if row["id"] == account.pk)
    assert mine["annual_revenue"] == account.annual_revenue and mine["client_since"] == account.client_since
    assert mine["created_at"] == account.created_at.astimezone(UTC)

    deal = Opportunity.objects.exclude(amount=None).order_by("id").first()
    assert deal is not None
    amount = con.execute(
        f"SELECT amount, stage FROM read_parquet('{folder}/opportunities.parquet') WHERE id = ?", [deal.pk]
    ).fetchone()
    assert amount == (Decimal(deal.amount), deal.stage)  # type: ignore[arg-type]

    credited = Referral.objects.exclude(opportunity=None).order_by("id").first()
    assert credited is not None
    credit = con.execute(
        "SELECT attribution, credit_note, opportunity_id, opportunity_stage "
        f"FROM read_parquet('{folder}/credits.parquet') WHERE referral_id = ?",
        [credited.pk],
    ).fetchone()
    deal_stage = credited.opportunity.stage if credited.opportunity else None
    assert credit == (credited.attribution, credited.credit_note, credited.opportunity_id, deal_stage)

    top = NextBestAction.objects.filter(run=latest_run()).order_by("rank").first()
    assert top is not None
    first = by_arrow["next_best_actions"].slice(0, 1).to_pylist()[0]
    assert (first["id"], first["rank"], first["sponsor_id"], first["target_contact_id"]) == (
        top.pk,
        1,
        top.sponsor_id,
        top.target_contact_id,
    )
    assert first["explanation"] == top.explanation


@pytest.mark.django_db
def test_an_empty_database_gives_every_table_empty_with_its_schema(export: Export, tmp_path: Path) -> None:
    for fmt in ("parquet", "csv", "duckdb"):
        made = export("--format", fmt, "--out", tmp_path / fmt)
        assert made.exit_code == 0, made.output
        manifest = json.loads((tmp_path / fmt / "manifest.json").read_text())
        assert manifest["score_run"] is None
        assert all(t["rows"] == 0 for t in manifest["tables"].values()) and list(manifest["tables"]) == NAMES
        for spec, table in zip(TABLES, read_back(tmp_path / fmt).values(), strict=True):
            assert table.num_rows == 0 and table.column_names == [c.name for c in spec.columns]
    columns = duckdb.connect(str(tmp_path / "duckdb" / "referly.duckdb"), read_only=True).execute(
        "SELECT data_type, comment FROM duckdb_columns() WHERE table_name = 'opportunities' AND column_name = 'amount'"
    )
    assert columns.fetchall() == [("DECIMAL(16,2)", "Amount; null when unknown.")]


# --- without personal data ------------------------------------------------------------------------------


def people() -> dict[str, set[str]]:
    """What must never leave without consent: people's e-mails, names, phones and titles, as stored."""
    from referly.crm.models import Contact, Teammate

    emails: set[str] = set()
    names: set[str] = set()
    parts: set[str] = set()
    phones: set[str] = set()
    titles: set[str] = set()
    for first, last, email, phone, title in Contact.objects.values_list(
        "first_name", "last_name", "email", "phone", "title"
    ):
        emails.add(email or "")
        names.add(f"{first} {last}".strip())
        parts.update((first, last))
        phones.add(phone)
        titles.add(title)
    for name, email in Teammate.objects.values_list("name", "email"):
        emails.add(email or "")
        names.add(name)
    blank = {""}
    return {
        "emails": emails - blank,
        "names": names - blank,
        "parts": parts - blank,
        "phones": phones - blank,
        "titles": titles - blank,
    }


WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d .()/-]*\d")


def named_in(text: str, found: dict[str, set[str]]) -> set[str]:
    """The full names, e-mails and phones of ``found`` in ``text``: runs of 2 to 4 words, e-mail and phone shapes."""
    words = WORD.findall(text)
    runs = {" ".join(words[i : i + n]) for n in (2, 3, 4) for i in range(len(words) - n + 1)}
    hits = (runs & found["names"]) | (set(EMAIL.findall(text)) & found["emails"])
    return hits | (set(PHONE.findall(text)) & found["phones"])


def strings_of(tables: Iterable[pa.Table]) -> set[str]:
    values: set[str] = set()
    for table in tables:
        for column in table.columns:
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                values.update(v for v in column.to_pylist() if v)
    return values


@pytest.mark.django_db
def test_without_personal_data_no_person_is_named_and_pseudonyms_are_stable(
    company: None, export: Export, tmp_path: Path
) -> None:
    from django.conf import settings

    from referly.crm.models import Contact

    found = people()
    # The scanner finds people where they are: in an export with personal data.
    assert export("--format", "csv", "--out", tmp_path / "named").exit_code == 0
    hits = named_in((tmp_path / "named" / "contacts.csv").read_text(encoding="utf-8"), found)
    assert hits & found["names"] and hits & found["emails"] and hits & found["phones"]

    for fmt in ("parquet", "csv", "duckdb"):
        for run in ("first", "second"):
            made = export("--format", fmt, "--out", tmp_path / f"{fmt}-{run}", "--no-personal-data")
            assert made.exit_code == 0, made.output
        folder = tmp_path / f"{fmt}-first"
        assert json.loads((folder / "manifest.json").read_text())["personal_data_removed"] is True
        for path in sorted(folder.iterdir()):  # every byte of every file, compressed or not
            assert not named_in(path.read_bytes().decode("utf-8", errors="replace"), found), path
        tables = read_back(folder)
        cells = strings_of(tables.values())
        stored = found["emails"] | found["names"] | found["phones"] | found["titles"]
        assert not cells & stored, sorted(cells & stored)[:5]
        # Single first or last names only in the people tables: elsewhere a company may be called "Eimer".
        assert not strings_of([tables["contacts"], tables["teammates"]]) & found["parts"]
        assert not named_in("\n".join(cells), found)
        for name, column in (
            ("referral_stage_history", "note"),
            ("credits", "credit_note"),
            ("asks", "override_reason"),
        ):
            assert tables[name].column(column).null_count == tables[name].num_rows
        assert tables["next_best_actions"].column("explanation").null_count == tables["next_best_actions"].num_rows
        # Same input, same pseudonym: two exports agree, and a known e-mail has the documented pseudonym.
        again = read_back(tmp_path / f"{fmt}-second")
        assert all(tables[name].equals(again[name]) for name in NAMES), fmt

    contact = Contact.objects.exclude(email=None).exclude(first_name="").order_by("id").first()
    assert contact is not None and contact.email is not None
    key = pseudonym_key(settings.SECRET_KEY)
    row = next(
        r for r in pq.read_table(tmp_path / "parquet-first" / "contacts.parquet").to_pylist() if r["id"] == contact.pk
    )
    assert row["email"] == pseudonym(contact.email, key, "email") and row["email"].startswith("email-")
    assert row["first_name"] == pseudonym(contact.first_name, key, "name")
    assert re.fullmatch(r"person-[0-9a-f]{16}", row["first_name"])


# --- the folder and the format --------------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_format_or_out_are_one_clear_line_and_a_code(export: Export, tmp_path: Path) -> None:
    bad = export("--format", "xlsx", "--out", tmp_path / "x")
    assert bad.exit_code == 2 and "Invalid value for '--format'" in bad.output and "Traceback" not in bad.output

    missing = export("--format", "csv")
    assert missing.exit_code == 2 and "--out" in missing.output

    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    refused = export("--out", a_file)
    assert refused.exit_code == 2 and "is a file" in refused.output and "Traceback" not in refused.output

    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "budget.xlsx").write_text("keep me")
    clash = export("--out", crowded)
    assert clash.exit_code == 4 and "already holds other files (budget.xlsx)" in clash.output
    assert [p.name for p in crowded.iterdir()] == ["budget.xlsx"], "nothing is written beside other files"


@pytest.mark.django_db
def test_a_previous_export_is_replaced_whole(export: Export, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "tables"
    assert export("--format", "csv", "--out", out).exit_code == 0
    assert len(list(out.glob("*.csv"))) == len(TABLES)
    again = export("--format", "duckdb", "--out", out)
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "referly.duckdb"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".referly-tables-")], "no scratch folder is left"


def test_an_unwritable_place_is_refused_before_reading(tmp_path: Path) -> None:
    from referly.errors import InvalidInput

    (tmp_path / "f").write_text("")
    with pytest.raises(InvalidInput) as refused:
        check_out(tmp_path / "f")
    assert refused.value.field == "out"
    check_out(tmp_path / "new")  # a new folder is fine


# --- the schema, declared once --------------------------------------------------------------------------


def test_every_table_is_declared_once_with_unique_columns_and_documented() -> None:
    assert len(set(NAMES)) == len(NAMES)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "connect-tables.md").read_text(encoding="utf-8")
    for spec in TABLES:
        names = [c.name for c in spec.columns]
        assert len(set(names)) == len(names), spec.name
        assert f"## `{spec.name}`" in doc, spec.name
        section = doc.split(f"## `{spec.name}`", 1)[1].split("\n## ", 1)[0]
        for column in spec.columns:
            assert f"| `{column.name}` | `{column.type}` |" in section, (spec.name, column.name)


def test_a_run_table_before_any_run_is_empty_not_an_error() -> None:
    spec = next(s for s in TABLES if s.name == "sponsor_scores")
    assert "1 = 0" in table_sql(spec, None) and "s.run_id = 7" in table_sql(spec, 7)


# --- pseudonyms -----------------------------------------------------------------------------------------

KEY = pseudonym_key("a secret of the installation")
values = st.text(min_size=1, max_size=40)


@given(values)
def test_a_pseudonym_is_stable_and_hides_the_value(value: str) -> None:
    made = pseudonym(value, KEY, "name")
    assert made == pseudonym(value, pseudonym_key("a secret of the installation"), "name")
    assert re.fullmatch(r"person-[0-9a-f]{16}", made)
    assert made != pseudonym(value, pseudonym_key("another installation"), "name"), "keyed: not guessable elsewhere"


@given(values, values)
def test_different_values_get_different_pseudonyms(one: str, other: str) -> None:
    assert (pseudonym(one, KEY, "email") == pseudonym(other, KEY, "email")) == (one == other)


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=60))
def test_pseudonymizing_a_column_is_the_pseudonym_of_each_value(column: list[str | None]) -> None:
    made = pseudonymize(pa.array(column, pa.string()), KEY, "phone").to_pylist()
    assert made == [None if v is None else pseudonym(v, KEY, "phone") for v in column]
    assert all(v is None or v == "" or v.startswith("phone-") for v in made)


def test_the_empty_value_stays_empty() -> None:
    assert pseudonym("", KEY) == ""
    assert pseudonymize(pa.array(["", None], pa.string()), KEY, "title").to_pylist() == ["", None]
