"""A cell a spreadsheet would run comes out of every file Referly writes as text: the refused rows (terminal and
web), the CRM write-back files and the analysts' tables.

The attack: a value like ``=cmd|" /C calc"!A0`` in an imported file, written back as it came, runs when
someone opens the file in Excel. Each test imports or stores it for real and reads the file written.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.crm.models import Account
from referly.referrals.models import Referral
from tests.factories import make_account, make_contact, make_teammate
from tests.personas import Team
from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db

FORMULA = '=cmd|" /C calc"!A0'
QUOTED = '"' + FORMULA.replace('"', '""') + '"'  # as a CSV file holds it
SHOWN = "'" + FORMULA  # a leading apostrophe: the spreadsheet shows the text, never runs it


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def accounts_csv(bad_rows: int = 1) -> bytes:
    lines = ["name,domain,employees", "Acme,acme.example,120"]
    lines += [f"Bad {n},bad{n}.example,{QUOTED}" for n in range(bad_rows)]
    lines += ["Zeta,zeta.example,-12", "@SUM(A1),sum.example,10"]
    return ("\n".join(lines) + "\n").encode()


def test_the_refused_rows_file_writes_a_formula_as_text(cli: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "accounts.csv"
    source.write_bytes(accounts_csv())
    out = tmp_path / "refused.csv"
    result = cli("import", "accounts", str(source), "--errors", str(out))
    assert result.exit_code == 0, result.output
    header, *refused = rows_of(out.read_text(encoding="utf-8"))
    assert header == ["file", "line", "column", "value", "reason"]
    assert [(r[1], r[2], r[3]) for r in refused] == [("3", "employees", SHOWN), ("4", "employees", "-12")]
    assert FORMULA not in [cell for row in refused for cell in row]
    assert Account.objects.get(domain="sum.example").name == "@SUM(A1)", "stored as it came: only files neutralise"


def test_the_web_download_of_refused_rows_holds_them_all_as_text(client: Client, team: Team) -> None:
    c = logged_in(client, team.manager)
    preview = c.post(
        reverse("web:import"),
        {"file": SimpleUploadedFile("accounts.csv", accounts_csv(bad_rows=250), "text/csv"), "kind": "accounts"},
    )
    html = preview.content.decode()
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None and 'id="import-refused-download"' in html
    download = c.get(reverse("web:import_refused"), {"key": key.group(1)})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == 'attachment; filename="accounts-refused-rows.csv"'
    _, *refused = rows_of(download.content.decode())
    assert len(refused) == 251, "every refused row, not only the 200 the page lists"
    assert {r[3] for r in refused} == {SHOWN, "-12"}, "a negative number stays a number"
    assert not Account.objects.exists(), "a download checks again and writes nothing"
    (event,) = AuditEvent.objects.filter(kind="export.refused_rows")
    assert event.subject == "accounts-refused-rows.csv" and event.detail == {"import": "accounts.csv"}
    assert c.get(reverse("web:import_refused"), {"key": "another"}).status_code == 404


def test_the_crm_write_back_files_write_a_formula_as_text(cli: Callable[..., Result], tmp_path: Path) -> None:
    target = make_account(FORMULA, domain="formula.example", source_system="hubspot", external_id="77")
    person = make_contact(target, first_name='+HYPERLINK("http://x")', last_name="-2+3", email="p@formula.example")
    client = make_account("@Client", domain="client.example", source_system="hubspot", external_id="78")
    referrer = make_contact(client, first_name="Ada", last_name="=1+1", email="ada@client.example")
    now = timezone.now()
    Referral.objects.create(
        referrer_contact=referrer,
        referrer_account=client,
        target_account=target,
        target_contact=person,
        owner=make_teammate("Wendy Writer"),
        stage="introduced",
        attribution="sourced",
        created_at=now,
        stage_changed_at=now,
    )
    out = tmp_path / "writeback"
    result = cli("export", "crm", "--preset", "hubspot", "--out", str(out))
    assert result.exit_code == 0, result.output
    cells = [cell for path in sorted(out.glob("*.csv")) for row in rows_of(path.read_text()) for cell in row]
    assert SHOWN in cells and FORMULA not in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if cell.startswith("-") and not re.fullmatch(r"-[\d.]+", cell)]


def test_the_analysts_tables_write_a_formula_as_text_in_csv(
    cli: Callable[..., Result], client: Client, team: Team, tmp_path: Path
) -> None:
    make_contact(make_account(FORMULA, domain="formula.example"), title="@admin", last_name="-1+1")
    out = tmp_path / "tables"
    result = cli("export", "tables", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    accounts = rows_of((out / "accounts.csv").read_text(encoding="utf-8"))
    assert SHOWN in [cell for row in accounts for cell in row]
    every = [cell for path in out.glob("*.csv") for row in rows_of(path.read_text(encoding="utf-8")) for cell in row]
    assert FORMULA not in every and "@admin" not in every and "'@admin" in every and "'-1+1" in every

    download = logged_in(client, team.manager).get(reverse("web:tables_download"), {"format": "csv"})
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:  # type: ignore[attr-defined]
        text = archive.read("accounts.csv").decode()
    assert SHOWN in [cell for row in rows_of(text) for cell in row]
