# ruff: noqa: E501 -- each export below is written as its CRM writes it, one record per line
"""Exports as the CRMs really write them: other header names, report footers, activity columns, custom stages.

Each file below is written from its vendor's documented export format; the comment above each says where
the shape comes from. The values are invented.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from referly.crm.models import Account, Contact, Interaction, InteractionKind, Opportunity
from referly.ingest.readers import RowProblem, SourceRow, read_table
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
SAMPLES = ROOT / "tests" / "ingest" / "samples"

# Salesforce report exported as "Details Only" CSV (Reports > Export > Details Only, Comma Delimited .csv):
# every value quoted, dates in the en_US locale, and under the rows a blank line, the grand total, then the
# confidentiality and copyright lines Salesforce appends to every report export.
SALESFORCE_OPPORTUNITIES = """\
"Opportunity ID","Opportunity Name","Account Name","Total Amount","Stage","Lead Source","Opportunity Owner","Created Date","Close Date"
"0068d00000Ds7LmAAJ","Harborline Freight - Renewal","Harborline Freight","180000","Closed Won","Partner Referral","Priya Raman","1/8/2025","3/28/2025"
"0068d00000Ds7LnAAJ","Quillstone Legal - Automation","Quillstone Legal","42000","Discovery","Web","Tom Becker","8/19/2026","10/30/2026"

"Grand Totals (2 records)","","","222000","","","","",""

"Confidential Information - Do Not Distribute"
"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."
"""

# Salesforce contacts report with the standard "Last Activity" column (the date of the latest closed task or
# past event on the contact).
SALESFORCE_CONTACTS = """\
"Contact ID","First Name","Last Name","Title","Email","Account Name","Contact Owner","Last Activity"
"0038d00000Kf2QaAAJ","Dana","Whitfield","Chief Operating Officer","dana.whitfield@harborline.example","Harborline Freight","Priya Raman","10/2/2026"
"0038d00000Kf2QbAAJ","Felix","Osei","General Counsel","felix.osei@quillstone.example","Quillstone Legal","Tom Becker",""

"Confidential Information - Do Not Distribute"
"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."
"""

# Pipedrive People list view exported to CSV: "<Item> - <field label>" headers; a custom list view that
# shows the "Title" column instead of "Job title", and Pipedrive's activity summary fields.
PIPEDRIVE_PEOPLE = """\
Person - ID,Person - Name,Person - Organization,Person - Title,Person - Email - Work,Person - Owner,Person - Last activity date,Person - Done activities
301,Femke de Vries,Brightwater Solar,Head of Operations,femke.devries@brightwater-solar.example,Lena Fischer,2026-09-30,14
302,Joao Pereira,Cobalt & Pine Architects,Founding Partner,joao.pereira@cobaltpine.example,Marco Silva,,0
"""

# HubSpot contacts exported in 2023 ("Export all properties" before association labels): the company
# column is "Associated Company"; "Last Activity Date", "Last Contacted" and "Number of Sales Activities"
# are HubSpot's default contact activity properties, written as "YYYY-MM-DD HH:MM".
HUBSPOT_CONTACTS_2023 = """\
Record ID,First Name,Last Name,Email,Job Title,Associated Company,Contact owner,Last Activity Date,Last Contacted,Number of Sales Activities,Create Date
51200001,Ines,Carvalho,ines.carvalho@northwind-analytics.example,VP Operations,Northwind Analytics,Maya Patel,2026-10-14 16:20,2026-10-14 09:05,7,2023-03-02 09:45
51200002,Rob,Hale,rob.hale@northwind-analytics.example,Data Engineer,Northwind Analytics,,2026-09-01 10:00,2026-08-20 11:30,2,2023-04-04 11:10
51200003,Aiko,Tanaka,aiko.tanaka@bluefjord.example,CFO,Bluefjord Logistics,Daniel Okafor,,,0,2023-05-19 13:02
"""

# HubSpot deals "Export view" of a saved view whose columns leave out the associated company; the pipeline
# is a custom one ("Demo booked" is not a default HubSpot stage).
HUBSPOT_DEALS_VIEW = """\
Record ID,Deal Name,Amount,Deal Stage,Pipeline,Close Date,Create Date,Deal owner,Original Traffic Source
9120000001,Northwind - Platform,48000,Closed Won,Sales Pipeline,2025-02-14 10:00,2024-11-05 09:12,Maya Patel,Referrals
9120000002,Bluefjord - Fleet,125000,Demo booked,New Logos,,2026-06-02 14:05,Daniel Okafor,Organic Search
9120000003,Northwind - Expansion,30000,Closed Won,Sales Pipeline,2026-03-01 10:00,2025-12-01 09:00,Maya Patel,Offline Sources
9120000004,Acme - Pilot,9000,Demo booked,New Logos,,2026-07-02 14:05,Daniel Okafor,Organic Search
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def report(result: Result) -> dict[str, object]:
    start = result.output.index("{")
    return dict(json.loads(result.output[start:]))


def test_a_salesforce_opportunity_report_keeps_total_amount_and_skips_its_footer(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write(tmp_path, "opportunities.csv", SALESFORCE_OPPORTUNITIES)
    result = cli("import", "opportunities", str(path), "--preset", "salesforce", "--json")
    assert result.exit_code == 0, result.output
    (file,) = report(result)["files"]  # type: ignore[misc]
    assert file["rejected"] == 0, "the footer lines are not rows"
    assert any("report footer" in note and "Grand Totals" in note for note in file["notes"])
    amounts = dict(Opportunity.objects.values_list("external_id", "amount"))
    assert amounts == {"0068d00000Ds7LmAAJ": Decimal("180000"), "0068d00000Ds7LnAAJ": Decimal("42000")}
    # "Discovery" is a custom stage: the deal is open, and the summary says so.
    assert Opportunity.objects.get(external_id="0068d00000Ds7LnAAJ").stage == "prospecting"
    assert any(w["code"] == "unknown_stages" and "'Discovery' (1)" in w["message"] for w in file["warnings"])


def test_salesforce_last_activity_becomes_one_touch_with_the_contact_owner(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write(tmp_path, "contacts.csv", SALESFORCE_CONTACTS)
    result = cli("import", "contacts", str(path), "--preset", "salesforce")
    assert result.exit_code == 0, result.output
    assert "refused" not in result.output
    touch = Interaction.objects.get()
    assert touch.kind == InteractionKind.CRM_ACTIVITY
    assert touch.occurred_at == datetime(2026, 10, 2, tzinfo=UTC)
    assert Contact.objects.get(pk=touch.contact_id).last_name == "Whitfield"


def test_pipedrive_person_title_is_stored_and_the_activity_count_only_reported(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write(tmp_path, "people-4417020-4.csv", PIPEDRIVE_PEOPLE)
    result = cli("import", "contacts", str(path), "--preset", "pipedrive", "--json")
    assert result.exit_code == 0, result.output
    titles = dict(Contact.objects.values_list("last_name", "title"))
    assert titles == {"de Vries": "Head of Operations", "Pereira": "Founding Partner"}
    (file,) = report(result)["files"]  # type: ignore[misc]
    assert file["touches_from_crm_activity"] == 1, "one contact has a last activity date; the other none"
    assert any("'Person - Done activities' read for 2 contacts (14 activities in all)" in n for n in file["notes"])


def test_a_2023_hubspot_contacts_export_imports_with_its_activity_dates_once(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    companies = SAMPLES / "hubspot" / "hubspot-crm-exports-all-companies-2026-11-20.csv"
    write(folder, companies.name, companies.read_text())
    write(folder, "hubspot-crm-exports-all-contacts-2023-06-01.csv", HUBSPOT_CONTACTS_2023)
    result = cli("import", str(folder), "--preset", "hubspot", "--strict")
    assert result.exit_code == 0, result.output
    ines = Contact.objects.get(email="ines.carvalho@northwind-analytics.example")
    assert ines.account.name == "Northwind Analytics", "Associated Company links the contact"
    # Ines: two times on one day, one touch (the earlier) with her owner. Rob: no owner of his own, so his
    # account's owner (Maya Patel owns Northwind Analytics), on two days. Aiko: no date, no touch.
    touches = Interaction.objects.filter(kind=InteractionKind.CRM_ACTIVITY)
    found = sorted((t.contact_id, t.teammate.name, t.occurred_at) for t in touches.select_related("teammate"))
    rob = Contact.objects.get(first_name="Rob").pk
    assert found == sorted(
        [
            (ines.pk, "Maya Patel", datetime(2026, 10, 14, 9, 5, tzinfo=UTC)),
            (rob, "Maya Patel", datetime(2026, 8, 20, 11, 30, tzinfo=UTC)),
            (rob, "Maya Patel", datetime(2026, 9, 1, 10, 0, tzinfo=UTC)),
        ]
    )
    again = cli("import", str(folder), "--preset", "hubspot", "--json")
    assert again.exit_code == 0
    assert touches.count() == 3, "a re-import adds no touch"


def test_a_hubspot_deals_view_without_a_company_imports_and_says_what_it_costs(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write(tmp_path, "hubspot-crm-exports-my-deals-2024-05-01.csv", HUBSPOT_DEALS_VIEW)
    result = cli("import", "opportunities", str(path), "--preset", "hubspot", "--json")
    assert result.exit_code == 0, result.output
    (file,) = report(result)["files"]  # type: ignore[misc]
    assert file["created"] == 4 and file["rejected"] == 0
    messages = [w["message"] for w in file["warnings"]]
    assert any(m.startswith("deals: no company column") and "2 won deals will not make" in m for m in messages)
    plain = cli("import", "opportunities", str(path), "--preset", "hubspot", "--dry-run")
    assert "no company column" in plain.output and "2 won deals will not make their companies clients" in plain.output


def test_custom_stages_come_in_open_and_a_mapping_file_maps_them_once(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write(tmp_path, "hubspot-crm-exports-all-deals-2024-05-01.csv", HUBSPOT_DEALS_VIEW)
    first = cli("import", str(path), "--preset", "hubspot", "--json")
    assert first.exit_code == 0, first.output
    assert set(Opportunity.objects.filter(name__contains="Demo").values_list("stage", flat=True)) <= {"prospecting"}
    assert Opportunity.objects.get(external_id="9120000002").stage == "prospecting"
    mapping = write(
        tmp_path,
        "mine.toml",
        'preset = "hubspot"\n\n[opportunities.values.stage]\n"Demo booked" = "qualification"\n',
    )
    second = cli("import", str(path), "--mapping", str(mapping), "--json")
    assert second.exit_code == 0, second.output
    assert Opportunity.objects.get(external_id="9120000002").stage == "qualification"
    assert "unknown_stages" not in second.output


def test_one_file_needs_no_kind_when_its_name_or_header_says_it(cli: Callable[..., Result], tmp_path: Path) -> None:
    deals = SAMPLES / "hubspot" / "hubspot-crm-exports-all-deals-2026-11-20.csv"
    copy = write(tmp_path, "hubspot-crm-exports-all-deals-2024-05-01.csv", deals.read_text())
    with_preset = cli("import", str(copy), "--preset", "hubspot", "--json")
    assert with_preset.exit_code == 0, with_preset.output
    assert report(with_preset)["files"][0]["kind"] == "opportunities"  # type: ignore[index]
    Opportunity.objects.all().delete()
    # No preset: the header names HubSpot's deal properties, so the HubSpot preset reads it.
    alone = cli("import", str(copy), "--json")
    assert alone.exit_code == 0, alone.output
    assert Opportunity.objects.filter(source_system="hubspot").count() == deals.read_text().count("\n") - 1
    # A header that fits two kinds equally is a question, not a guess.
    both = write(tmp_path, "list.csv", "name\nAda Lovelace\n")
    unclear = cli("import", str(both))
    assert unclear.exit_code == 2
    assert "list.csv could hold teammates or accounts" in unclear.output


def test_an_unknown_column_is_named_with_the_closest_field(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", "name,domain,industy\nAcme,acme.example,Software\n")
    result = cli("import", "accounts", str(path), "--json")
    assert result.exit_code == 0, result.output
    (file,) = report(result)["files"]  # type: ignore[misc]
    unread = [w for w in file["warnings"] if w["code"] == "unknown_columns"]
    assert unread and "'industy' (did you mean 'industry', for industry?)" in unread[0]["message"]
    lifecycle = [w for w in file["warnings"] if w["field"] == "lifecycle"]
    assert lifecycle and "1 account will be a prospect" in lifecycle[0]["message"]


def test_a_folder_with_one_unreadable_file_imports_the_rest_and_reports_it(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    for sample in (SAMPLES / "hubspot").iterdir():
        write(folder, sample.name, sample.read_text())
    # A contacts export whose company column was removed: contacts need an account.
    broken = "Record ID,First Name,Last Name,Email\n1,Ada,Lovelace,ada@example.org\n"
    write(folder, "hubspot-crm-exports-all-contacts-2026-11-20.csv", broken)
    strict = cli("import", str(folder), "--preset", "hubspot", "--strict")
    assert strict.exit_code == 2 and "nothing was written" in strict.output
    assert not Account.objects.exists()
    result = cli("import", str(folder), "--preset", "hubspot", "--json")
    assert result.exit_code == 2, "a file was not imported"
    files = {f["kind"]: f for f in report(result)["files"]}  # type: ignore[attr-defined]
    assert set(files) == {"accounts", "contacts", "opportunities"}
    failure = files["contacts"]["failure"]
    assert "does not have: Associated Company (Primary) or Associated Company" in failure
    assert files["accounts"]["created"] > 0 and files["opportunities"]["created"] > 0
    assert Account.objects.exists() and Opportunity.objects.exists() and not Contact.objects.exists()


FOOTERS = [
    ["", '"Grand Totals (3 records)","","","9"'],
    [
        "",
        '"Confidential Information - Do Not Distribute"',
        '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."',
    ],
    ['"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."'],
    ["", "", '"Generated By:  Priya Raman  3/14/2025 9:30 AM"', '"Northwind Corp."'],
    [],
]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20), max_size=8),
    blank_inside=st.booleans(),
    footer=st.sampled_from(FOOTERS),
)
def test_a_report_footer_is_never_read_as_rows_and_rows_are_never_lost(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], blank_inside: bool, footer: list[str]
) -> None:
    rows = [f'"{n}","x","{i}","{i}"' for i, n in enumerate(names)]
    if blank_inside and rows:
        rows.insert(len(rows) // 2, "")  # a blank line between rows is no footer
    path = tmp_path_factory.mktemp("footer") / "report.csv"
    path.write_text("\n".join(['"a","b","c","d"', *rows, *footer]) + "\n", encoding="utf-8")
    table = read_table(path)
    read = list(table.rows)
    assert [r.values["c"] for r in read if isinstance(r, SourceRow)] == [str(i) for i in range(len(names))]
    assert not [r for r in read if isinstance(r, RowProblem)]
    assert bool(table.notes) == any(line.strip() for line in footer)
