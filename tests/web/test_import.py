"""Import from the browser: the preview reports the bad rows and writes nothing; the commit writes the rest."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from referly.crm.models import Account
from tests.conftest import ROOT
from tests.personas import Team
from tests.web.conftest import logged_in

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
    unnamed = c.post(reverse("web:import"), {"file": upload()})
    assert unnamed.status_code == 422
    stranger = c.post(reverse("web:import_commit"), {"key": "not-mine"})
    assert stranger.status_code == 404
