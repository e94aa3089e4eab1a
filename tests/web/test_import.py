"""Import from the browser: the preview reports the bad rows and writes nothing; the commit writes the rest."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from referly.crm.models import Account, Opportunity
from tests.conftest import ROOT
from tests.personas import Team
from tests.web.conftest import logged_in, text_of

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    b"name,domain,employees,country\nAcme,acme.example,120,FR\nBad Co,bad.example,lots,FR\nZeta,zeta.example,80,GB\n"
)


def upload(name: str = "accounts.csv", content: bytes = ACCOUNTS) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_preview_reports_the_bad_row_and_writes_nothing_then_the_commit_writes(client: Client, team: Team) -> None:
    c = logged_in(client, team.manager)
    before = Account.objects.count()
    preview = c.post(reverse("web:import"), {"file": upload(), "kind": "accounts"})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="import-errors"' in html
    assert "lots" in html and "employees" in html and "<td>3</td>" in html, "file line 3 holds the bad row"
    assert Account.objects.count() == before, "a preview writes nothing"
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    done = c.post(reverse("web:import_commit"), {"key": key.group(1)})
    assert done.status_code == 200 and "Imported" in done.content.decode()
    assert set(Account.objects.values_list("domain", flat=True)) >= {"acme.example", "zeta.example"}
    assert not Account.objects.filter(domain="bad.example").exists()
    replay = c.post(reverse("web:import_commit"), {"key": key.group(1)})
    assert replay.status_code == 404, "a committed upload is gone"


def test_a_strict_import_with_a_bad_row_writes_nothing(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    html = c.post(reverse("web:import"), {"file": upload(), "kind": "accounts", "strict": "on"}).content.decode()
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    done = c.post(reverse("web:import_commit"), {"key": key.group(1)})
    assert "Nothing was written" in done.content.decode()
    assert not Account.objects.filter(domain="acme.example").exists()


def test_a_zip_with_a_preset_is_recognised_file_by_file(client: Client, team: Team) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (ROOT / "tests" / "ingest" / "samples" / "hubspot").iterdir():
            archive.write(path, path.name)
    c = logged_in(client, team.manager)
    preview = c.post(reverse("web:import"), {"file": upload("hubspot.zip", buffer.getvalue()), "preset": "hubspot"})
    assert preview.status_code == 200 and preview.content.decode().count("<tr><td>") >= 3
    assert not Account.objects.filter(source_system="hubspot").exists()


def test_wrong_uploads_are_refused_next_to_the_field(client: Client, team: Team) -> None:
    c = logged_in(client, team.manager)
    missing = c.post(reverse("web:import"), {"kind": "accounts"})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.content.decode()
    wrong = c.post(reverse("web:import"), {"file": upload("notes.pdf", b"%PDF"), "kind": "accounts"})
    assert wrong.status_code == 422 and "notes.pdf" in wrong.content.decode()
    unnamed = c.post(reverse("web:import"), {"file": upload("list.csv", b"name\nAda\n")})
    assert unnamed.status_code == 422 and "could hold teammates or accounts" in unnamed.content.decode()
    stranger = c.post(reverse("web:import_commit"), {"key": "not-mine"})
    assert stranger.status_code == 404


# A HubSpot deals "Export view" whose saved view leaves out the associated company and whose pipeline has a
# custom stage ("Demo booked"); headers as HubSpot writes them (see docs/import-presets.md).
DEALS = (
    b"Record ID,Deal Name,Amount,Deal Stage,Close Date,Create Date,Deal owner,Original Traffic Source,Company\n"
    b"91,Northwind - Platform,48000,Closed Won,2025-02-14 10:00,2024-11-05 09:12,Maya Patel,Referrals,Northwind\n"
    b"92,Bluefjord - Fleet,125000,Demo booked,,2026-06-02 14:05,Daniel Okafor,Organic Search,Bluefjord\n"
)


@pytest.fixture
def mappings(settings: Any, tmp_path: Path) -> Path:
    settings.REFERLY_MAPPINGS_FOLDER = str(tmp_path / "mappings")
    return tmp_path / "mappings"


def test_the_preview_warns_maps_columns_and_stages_and_saves_the_choice(
    client: Client, team: Team, mappings: Path, cli: Callable[..., Result]
) -> None:
    c = logged_in(client, team.manager)
    deals = upload("hubspot-crm-exports-all-deals-2024-05-01.csv", DEALS)
    html = c.post(reverse("web:import"), {"file": deals, "preset": "hubspot"}).content.decode()
    assert 'id="import-warnings"' in html
    assert "no company column" in html and "1 won deal will not make its company a client" in html
    assert "&#x27;Company&#x27; (did you mean" in html, "the unknown column is named with the closest field"
    assert '<option value="Amount" selected>Amount</option>' in html, "the preset preselects the column"
    assert 'id="import-stages"' in html and "Demo booked" in html
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    chosen = {
        "key": key.group(1),
        "step": "mapping",
        **{f"column-{n}": c for n, c in [("external_id", "Record ID"), ("name", "Deal Name"), ("amount", "Amount")]},
        **{"column-stage": "Deal Stage", "column-account": "Company", "column-created_on": "Create Date"},
        **{"stage-name-0": "Demo booked", "stage-0": "qualification"},
    }
    again = c.post(reverse("web:import"), chosen).content.decode()
    saved = mappings / "hubspot-opportunities.toml"
    assert saved.is_file() and 'id="import-mapping-saved"' in again
    assert "no company column" not in again and 'id="import-stages"' not in again
    assert Opportunity.objects.count() == 0, "a preview writes nothing"
    done = c.post(reverse("web:import_commit"), {"key": key.group(1)}).content.decode()
    assert "Imported" in done
    assert Opportunity.objects.get(external_id="92").stage == "qualification"
    assert Opportunity.objects.get(external_id="91").account.name == "Northwind"
    assert Opportunity.objects.get(external_id="91").owner is None, "the owner column was left out"
    # The same file again from the command line, read through the saved mapping.
    Opportunity.objects.all().delete()
    path = mappings.parent / "deals.csv"
    path.write_bytes(DEALS)
    result = cli("import", "opportunities", str(path), "--mapping", str(saved))
    assert result.exit_code == 0, result.output
    assert Opportunity.objects.get(external_id="92").stage == "qualification"


def test_the_preview_warns_in_french_for_a_french_reader(team: Team, mappings: Path) -> None:
    c = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), team.manager)
    deals = upload("hubspot-crm-exports-all-deals-2024-05-01.csv", DEALS)
    html = c.post(reverse("web:import"), {"file": deals, "preset": "hubspot"}).content.decode()
    warnings = html.split('id="import-warnings"')[1].split("</section>")[0]
    assert "affaires : pas de colonne entreprise" in warnings
    assert "affaire gagnée ne fera pas de son entreprise une cliente" in warnings
    assert "(vouliez-vous dire" in warnings and "importée comme ouverte" in warnings
    assert "no company column" not in warnings


def test_a_stage_the_file_does_not_hold_is_refused_and_no_mapping_is_saved(
    client: Client, team: Team, mappings: Path
) -> None:
    c = logged_in(client, team.manager)
    deals = upload("hubspot-crm-exports-all-deals-2024-05-01.csv", DEALS)
    html = c.post(reverse("web:import"), {"file": deals, "preset": "hubspot"}).content.decode()
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    posted = {"key": key.group(1), "step": "mapping", "stage-name-0": "Demo\x7fbooked", "stage-0": "qualification"}
    refused = c.post(reverse("web:import"), posted)
    assert refused.status_code == 422 and "has no deal stage" in text_of(refused.content.decode())
    assert not (mappings / "hubspot-opportunities.toml").exists()
