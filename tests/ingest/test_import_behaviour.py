"""Imports as users rely on them: presets, newer exports, formats, and merges that lose nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from openpyxl import Workbook

from referly.crm.models import Account, Contact, Interaction, Merge, Opportunity, Teammate
from referly.ingest.dedupe import likely_duplicates, merge
from referly.referrals.models import Ask, Referral
from tests.conftest import ROOT
from tests.factories import make_account, make_contact, make_opportunity

pytestmark = pytest.mark.django_db
SAMPLES = ROOT / "tests" / "ingest" / "samples"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("crm", ["hubspot", "salesforce", "pipedrive"])
def test_each_preset_imports_its_crms_export_and_recognises_referrals(cli: Callable[..., Result], crm: str) -> None:
    result = cli("import", str(SAMPLES / crm), "--preset", crm, "--strict")
    assert result.exit_code == 0, result.output
    assert Account.objects.filter(source_system=crm).count() >= 4
    assert Contact.objects.exclude(account=None).count() >= 4
    if crm == "hubspot":
        # HubSpot's "Referrals" traffic source is visits from other sites' links: inbound.
        sources = set(Opportunity.objects.filter(source_detail="Referrals").values_list("source", flat=True))
        assert sources == {"inbound"}
    else:
        assert Opportunity.objects.filter(source="referral").exclude(source_detail="").exists()
    assert Opportunity.objects.filter(stage="won").exists()
    assert Opportunity.objects.filter(stage="lost").exists()
    again = cli("import", str(SAMPLES / crm), "--preset", crm, "--json")
    assert '"created": 0' in again.output and '"updated": 0' in again.output


def test_a_newer_export_updates_in_place_and_extends_the_stage_history(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("external_id,name,stage,amount,created_on\nd-1,Big deal,qualification,1000,2026-01-05\n")
    assert cli("import", "opportunities", str(path)).exit_code == 0
    path.write_text("external_id,name,stage,amount,created_on\nd-1,Big deal,negotiation,1500,2026-01-05\n")
    result = cli("import", "opportunities", str(path), "--json")
    assert '"updated": 1' in result.output
    deal = Opportunity.objects.get(external_id="d-1")
    assert (deal.stage, deal.amount) == ("negotiation", 1500)
    assert list(deal.stage_changes.values_list("stage", flat=True)) == ["qualification", "negotiation"]


def test_xlsx_and_parquet_files_import_like_csv(cli: Callable[..., Result], tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "domain", "employees", "country"])
    sheet.append(["Acme Ltd", "acme.example", 120, "France"])
    book.save(tmp_path / "accounts.xlsx")
    pq.write_table(
        pa.table({"name": ["Globex"], "domain": ["globex.example"], "employees": [40]}),
        tmp_path / "more.parquet",
    )
    assert cli("import", "accounts", str(tmp_path / "accounts.xlsx")).exit_code == 0
    assert cli("import", "accounts", str(tmp_path / "more.parquet")).exit_code == 0
    assert sorted(Account.objects.values_list("name", "employees", "country")) == [
        ("Acme Ltd", 120, "FR"),
        ("Globex", 40, ""),
    ]


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("cp1252", "\t"), ("utf-8", "|")])
def test_encodings_and_delimiters_are_detected(
    cli: Callable[..., Result], tmp_path: Path, encoding: str, delimiter: str
) -> None:
    text = f"name{delimiter}industry\r\nSociété Générale Démo{delimiter}Finance\r\n"
    (tmp_path / "accounts.csv").write_bytes(text.encode(encoding))
    assert cli("import", "accounts", str(tmp_path / "accounts.csv")).exit_code == 0
    assert Account.objects.get().name == "Société Générale Démo"


def test_likely_duplicates_are_listed_not_merged(cli: Callable[..., Result]) -> None:
    make_account("Acme Logistics", domain="acme-logistics.example")
    make_account("ACME Logistics Inc.", domain=None)
    make_account("Acme Logistic", domain=None)
    account = make_account("Initech")
    make_contact(account, first_name="Jane", last_name="Doe", email="jane@initech.example")
    make_contact(account, first_name="Jane", last_name="Doe", email="j.doe@gmail.example")
    reasons = sorted(c.reason for c in likely_duplicates("accounts"))
    assert reasons == ["nearly the same name", "same name"]
    assert [c.reason for c in likely_duplicates("contacts")] == ["same name at the same account"]
    listed = cli("dedupe", "list")
    assert "same name at the same account" in listed.output
    assert Account.objects.count() == 4


def test_a_merge_keeps_every_referral_ask_touch_and_credit_and_is_audited(alice: Teammate) -> None:
    client = make_account("Client Co")
    target = make_account("Target Co")
    keep = make_contact(client, first_name="Jane", last_name="Doe", email="jane@client.example")
    other = make_contact(client, first_name="Jane", last_name="Doe", email="jane.doe@home.example", phone="+33 1")
    deal = make_opportunity(target, source="referral", referring_contact=other, referring_account=client)
    Referral.objects.create(
        referrer_contact=other,
        referrer_account=client,
        target_account=target,
        owner=alice,
        created_at=NOW,
        stage_changed_at=NOW,
        opportunity=deal,
        attribution="sourced",
    )
    Ask.objects.create(contact=other, account=client, asked_by=alice, asked_at=NOW)
    same_touch = {"teammate": alice, "kind": 3, "occurred_at": NOW}
    Interaction.objects.create(contact=keep, **same_touch)
    Interaction.objects.create(contact=other, **same_touch)
    Interaction.objects.create(contact=other, teammate=alice, kind=1, occurred_at=NOW)

    record = merge("contacts", keep.pk, other.pk, now=NOW, reason="same person")

    assert not Contact.objects.filter(pk=other.pk).exists()
    assert Referral.objects.get().referrer_contact_id == keep.pk
    assert Ask.objects.get().contact_id == keep.pk
    deal.refresh_from_db()
    assert deal.referring_contact_id == keep.pk
    assert Interaction.objects.filter(contact=keep).count() == 2  # the shared meeting is kept once
    keep.refresh_from_db()
    assert keep.phone == "+33 1"  # blanks are filled from the merged record
    assert Merge.objects.get() == record
    assert record.merged_record["email"] == "jane.doe@home.example"
