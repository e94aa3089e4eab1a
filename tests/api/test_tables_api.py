"""The analyst tables over the API and as the Reports page's zip: paged by the database, counted as stored,
and only for the roles that import the company's data (admins, managers)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse

from referly.connect.table_schemas import TABLES
from tests.api.conftest import get
from tests.connect.test_tables import database_counts
from tests.personas import Team, make_team

DAY = "2026-11-01"
NAMES = [spec.name for spec in TABLES]


@pytest.fixture
def company(cli: Callable[..., Result], db: Any) -> Team:
    """The tiny demo company, scored, with a login of every role."""
    made = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY)
    assert made.exit_code == 0, made.output
    scored = cli("score", "--as-of", DAY)
    assert scored.exit_code == 0, scored.output
    return make_team()


def emails() -> set[str]:
    from referly.crm.models import Contact, Teammate

    stored = set(Contact.objects.exclude(email=None).values_list("email", flat=True))
    return {e for e in stored | set(Teammate.objects.exclude(email=None).values_list("email", flat=True)) if e}


@pytest.mark.django_db
def test_the_list_names_every_table_with_its_columns_and_the_rows_stored(company: Team) -> None:
    answer = get("/tables", company.manager.token("read"))
    assert answer.status_code == 200, answer.content
    listed = answer.json()
    assert [t["name"] for t in listed] == NAMES
    assert {t["name"]: t["count"] for t in listed} == database_counts()
    contacts = next(t for t in listed if t["name"] == "contacts")
    email = next(c for c in contacts["columns"] if c["name"] == "email")
    declared = next(c for t in TABLES if t.name == "contacts" for c in t.columns if c.name == "email")
    assert email == {"name": "email", "type": "string", "meaning": declared.meaning, "personal": True}
    assert next(c for c in contacts["columns"] if c["name"] == "id")["type"] == "int64"


@pytest.mark.django_db
def test_pages_cover_the_table_once_in_order_and_count_the_whole_table(company: Team) -> None:
    from referly.crm.models import Contact

    token = company.admin.token("read")
    total = Contact.objects.count()
    seen: list[int] = []
    offset = 0
    while True:
        answer = get("/tables/contacts", token, limit=500, offset=offset)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["table"] == "contacts" and body["count"] == total and body["personal_data"] is True
        assert [c["name"] for c in body["columns"]] == [c.name for c in TABLES[2].columns]
        assert len(body["items"]) == min(500, total - offset)
        if not body["items"]:
            break
        seen += [row["id"] for row in body["items"]]
        offset += 500
    assert seen == sorted(Contact.objects.values_list("pk", flat=True)), "every row once, in the export's order"
    small = [r["id"] for r in get("/tables/contacts", token, limit=7, offset=10).json()["items"]]
    assert small == seen[10:17]

    first = Contact.objects.exclude(email=None).order_by("id").first()
    assert first is not None
    rows = get("/tables/contacts", token, limit=500).json()["items"]
    mine = next(r for r in rows if r["id"] == first.pk)
    assert (mine["email"], mine["first_name"], mine["account_id"]) == (first.email, first.first_name, first.account_id)
    assert isinstance(mine["created_at"], str) and mine["created_at"].startswith(f"{first.created_at:%Y-%m-%d}")


@pytest.mark.django_db
def test_every_table_answers_its_stored_count(company: Team) -> None:
    token = company.manager.token("read")
    counts = database_counts()
    for name in NAMES:
        body = get(f"/tables/{name}", token, limit=3, offset=1).json()
        assert body["count"] == counts[name], name
        assert len(body["items"]) == max(0, min(3, counts[name] - 1)), name
    deals = get("/tables/opportunities", token, limit=50).json()["items"]
    assert deals and all(isinstance(d["amount"], str | None) for d in deals)  # decimals travel as text
    assert any(isinstance(d["amount"], str) for d in deals)


@pytest.mark.django_db
def test_limits_are_capped_and_an_unknown_table_is_a_404(company: Team) -> None:
    token = company.admin.token("read")
    assert get("/tables/contacts", token, limit=501).status_code == 422
    assert get("/tables/contacts", token, offset=-1).status_code == 422
    missing = get("/tables/salaries", token)
    assert missing.status_code == 404
    body = missing.json()
    assert (body["error"], body["code"], body["field"]) == ("not_found", "unknown_table", "name")
    assert "contacts" in body["detail"]


@pytest.mark.django_db
def test_only_admins_and_managers_read_the_tables_and_may_ask_for_pseudonyms(company: Team) -> None:
    stored = emails()
    assert stored
    for login in (company.member, company.other, company.viewer):
        refused = get("/tables/contacts", login.token("read"), limit=5)
        assert refused.status_code == 403 and refused.json()["error"] == "not_permitted", login.role
    pseudonymised = get("/tables/contacts", company.manager.token("read"), limit=500, personal_data="false").json()
    cells = {r["email"] for r in pseudonymised["items"]}
    assert pseudonymised["personal_data"] is False and not cells & stored
    assert any(e and e.startswith("email-") for e in cells)
    notes = get("/tables/next_best_actions", company.admin.token("read"), limit=500, personal_data="false").json()
    assert notes["items"] and all(r["explanation"] is None for r in notes["items"])
    named = get("/tables/contacts", company.manager.token("read"), limit=500).json()
    assert named["personal_data"] is True and {r["email"] for r in named["items"]} & stored


# --- the Reports page's zip ---------------------------------------------------------------------------


def download(login: Any, fmt: str = "parquet") -> zipfile.ZipFile:
    client = Client()
    client.force_login(login.user)
    answer = client.get(reverse("web:tables_download"), {"format": fmt})
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/zip"
    assert "attachment" in answer["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_reports_page_offers_the_zip_and_it_holds_every_table(company: Team) -> None:
    client = Client()
    client.force_login(company.admin.user)
    page = client.get(reverse("web:reports")).content.decode()
    assert f"{reverse('web:tables_download')}?format=parquet" in page and "format=csv" in page

    counts = database_counts()
    archive = download(company.admin)
    assert sorted(archive.namelist()) == sorted([*(f"{n}.parquet" for n in NAMES), "manifest.json"])
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["personal_data"] is True and manifest["format"] == "parquet"
    contacts = pq.read_table(io.BytesIO(archive.read("contacts.parquet")))
    assert contacts.num_rows == counts["contacts"]
    assert contacts.schema.equals(TABLES[2].schema, check_metadata=False)
    assert set(contacts.column("email").to_pylist()) & emails()

    as_csv = download(company.manager, "csv")
    referrals = pcsv.read_csv(io.BytesIO(as_csv.read("referrals.csv")))
    assert referrals.num_rows == counts["referrals"]


@pytest.mark.django_db
def test_members_and_viewers_neither_see_nor_download_the_tables(company: Team) -> None:
    for login in (company.member, company.viewer):
        client = Client()
        client.force_login(login.user)
        assert 'id="analyst-tables"' not in client.get(reverse("web:reports")).content.decode()
        assert client.get(reverse("web:tables_download"), {"format": "parquet"}).status_code == 403
    admin = Client()
    admin.force_login(company.admin.user)
    assert admin.get(reverse("web:tables_download"), {"format": "xlsx"}).status_code == 422
