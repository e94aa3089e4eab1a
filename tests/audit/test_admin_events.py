"""Role changes, settings, webhooks, imports and exports reach the trail, each done the way a person does it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse

from referly.connect.models import Subscription
from tests.audit.conftest import events
from tests.personas import Team
from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_a_role_change_on_the_settings_page_says_who_from_what_to_what(client: Client, team: Team) -> None:
    admin = logged_in(client, team.admin)
    answer = admin.post(reverse("web:change_role", args=[team.member.user.pk]), {"role": "manager"})
    assert answer.status_code == 302
    [changed] = events("role.changed")
    assert changed.actor == team.admin.user and changed.actor_label == team.admin.email
    assert changed.subject == team.member.email and changed.detail == {"from": "member", "to": "manager"}


def test_a_role_change_on_the_team_page_and_a_refused_one(client: Client, team: Team) -> None:
    admin = logged_in(client, team.admin)
    admin.post(reverse("web:team_role", args=[team.viewer.teammate.pk]), {"role": "admin"})
    admin.post(reverse("web:team_role", args=[team.viewer.teammate.pk]), {"role": "emperor"})  # refused
    [changed] = events("role.changed")
    assert changed.detail == {"from": "viewer", "to": "admin"}


def test_scoring_and_digest_settings_changes_are_recorded(client: Client, team: Team) -> None:
    admin = logged_in(client, team.admin)
    assert admin.post(reverse("web:scoring"), {"form": "file", "note": "back to the file"}).status_code == 302
    digest = {"enabled": "on", "hour": "7", "time_zone": "Europe/Paris", "language": "fr"}
    assert admin.post(reverse("web:digest_save"), digest).status_code == 302
    scoring, mail = events("settings.changed")
    assert (scoring.subject, scoring.detail) == ("scoring", {"via": "file", "note": "back to the file"})
    assert mail.subject == "daily digest" and mail.detail["hour"] == 7 and mail.detail["language"] == "fr"


def test_webhooks_added_tested_and_removed_name_the_host_not_the_secret_path(
    client: Client, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")
    admin = logged_in(client, team.admin)
    form = {
        "url": "http://127.0.0.1:9/hooks/T0SECRET/B0SECRET",
        "events": ["referral.stage_changed"],
        "kind": "standard",
    }
    assert admin.post(reverse("web:webhook_add"), {**form, "language": "en"}).status_code == 302
    made = Subscription.objects.get()
    admin.post(reverse("web:webhook_test", args=[made.pk]))
    admin.post(reverse("web:webhook_remove", args=[made.pk]))
    [added] = events("webhook.added")
    assert added.subject == f"webhook {made.pk} to 127.0.0.1" and "SECRET" not in str(added.detail)
    assert [e.subject for e in events("webhook.tested") + events("webhook.removed")] == [f"webhook {made.pk}"] * 2


def test_an_import_on_the_command_line_records_the_file_and_its_counts_and_the_refused_rows_file(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name,domain,lifecycle\nAcme,acme.example,client\n,nameless.example,client\n", encoding="utf-8")
    refused = tmp_path / "refused.csv"
    done = cli("import", "accounts", str(accounts), "--errors", str(refused))
    assert done.exit_code == 0, done.output
    [imported] = events("import.committed")
    assert imported.subject == "accounts.csv" and imported.actor_label.startswith("command line")
    [file] = imported.detail["files"]
    assert (file["kind"], file["created"], file["rejected"]) == ("accounts", 1, 1)
    [errors] = events("export.refused_rows")
    assert errors.subject == "refused.csv" and errors.detail == {"import": "accounts.csv"}
    assert cli("import", "accounts", str(accounts), "--dry-run").exit_code == 0
    assert len(events("import.committed")) == 1, "a dry run writes nothing, and is not an import"


def test_an_import_on_the_web_page_records_the_uploaded_name_and_the_refused_rows_download(
    client: Client, team: Team
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    manager = logged_in(client, team.manager)
    rows = b"name,domain,lifecycle\nAcme,acme.example,client\n,nameless.example,client\n"
    upload = SimpleUploadedFile("crm-accounts.csv", rows, "text/csv")
    preview = manager.post(reverse("web:import"), {"file": upload, "kind": "accounts"})
    assert preview.status_code == 200
    assert not events("import.committed"), "a preview is a dry run"
    key = preview.content.decode().split('name="key" value="')[1].split('"')[0]
    assert manager.get(reverse("web:import_refused"), {"key": key}).status_code == 200
    [download] = events("export.refused_rows")
    assert download.subject == "crm-accounts-refused-rows.csv" and download.actor == team.manager.user
    assert manager.post(reverse("web:import_commit"), {"key": key}).status_code == 200
    [imported] = events("import.committed")
    assert imported.subject == "crm-accounts.csv" and imported.actor == team.manager.user
    assert (imported.detail["files"][0]["created"], imported.detail["files"][0]["rejected"]) == (1, 1)


def test_the_tables_download_is_an_export_of_personal_data(client: Client, team: Team) -> None:
    admin = logged_in(client, team.admin)
    answer = admin.get(reverse("web:tables_download"), {"format": "csv"})
    assert answer.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))).namelist()  # type: ignore[attr-defined]
    [exported] = events("export.tables")
    assert exported.actor == team.admin.user and exported.detail == {"format": "csv", "personal_data": True}


def test_the_write_back_and_tables_commands_are_exports(cli: Callable[..., Result], tmp_path: Path, db: Any) -> None:
    assert cli("export", "crm", "--preset", "hubspot", "--out", str(tmp_path / "wb")).exit_code == 0
    assert cli("export", "tables", "--format", "csv", "--out", str(tmp_path / "t"), "--no-personal-data").exit_code == 0
    [writeback] = events("export.writeback")
    assert writeback.detail["preset"] == "hubspot" and writeback.subject.endswith("wb")
    [tables] = events("export.tables")
    assert tables.detail == {"format": "csv", "personal_data": False}
