"""`referly audit list|export|prune`, and the daily refresh deleting what is past REFERLY_AUDIT_DAYS."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from django.utils import timezone

from referly.audit.models import AuditEvent
from referly.audit.trail import prune, record
from referly.jobs.handlers import refresh_referrals

pytestmark = pytest.mark.django_db


def aged(kind: str, days: float, **fields: str) -> AuditEvent:
    made = record(kind, **fields)
    AuditEvent.objects.filter(pk=made.pk).update(at=timezone.now() - timedelta(days=days))
    return made


def test_prune_keeps_exactly_the_retention_period() -> None:
    now = timezone.now()
    for days in (1, 399.9, 400.1, 900):
        made = record("login.failed", actor_label=f"{days} days ago")
        AuditEvent.objects.filter(pk=made.pk).update(at=now - timedelta(days=days))
    assert prune(now) == 2
    assert sorted(AuditEvent.objects.values_list("actor_label", flat=True)) == ["1 days ago", "399.9 days ago"]
    assert prune(now, days=1) == 1


def test_the_daily_refresh_prunes_per_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    aged("export.tables", 40)
    aged("export.tables", 10)
    monkeypatch.setenv("REFERLY_AUDIT_DAYS", "30")
    done = refresh_referrals(timezone.now())
    assert done.figures["audit_events_pruned"] == 1 and "1 audit event(s) past retention deleted" in done.summary
    assert AuditEvent.objects.count() == 1


def test_a_bad_retention_setting_is_one_clear_sentence(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_AUDIT_DAYS", "a year")
    done = cli("audit", "prune")
    assert done.exit_code != 0 and "REFERLY_AUDIT_DAYS must be a whole number of days" in done.output
    assert "Traceback" not in done.output


def test_the_prune_command_says_what_it_deleted(cli: Callable[..., Result]) -> None:
    aged("login.failed", 500)
    aged("login.failed", 5)
    done = cli("audit", "prune")
    assert done.exit_code == 0 and "Deleted 1 event(s) older than 400 days." in done.output
    assert "Deleted 1 event(s) older than 3 days." in cli("audit", "prune", "--days", "3").output


def test_list_filters_and_prints_json(cli: Callable[..., Result]) -> None:
    aged("login.failed", 3, actor_label="mallory@evil.example")
    aged("export.tables", 2, actor_label="ada@ourco.example", subject="referly-tables.zip")
    listed = json.loads(cli("audit", "list", "--kind", "export", "--json").output)
    assert [(e["kind"], e["actor"], e["subject"]) for e in listed] == [
        ("export.tables", "ada@ourco.example", "referly-tables.zip")
    ]
    table = cli("audit", "list", "--actor", "mallory").output
    assert "login.failed" in table and "export.tables" not in table
    assert "No event matches." in cli("audit", "list", "--kind", "forget").output
    bad = cli("audit", "list", "--since", "last week")
    assert bad.exit_code == 2 and bad.output == "Error: last week is not a date like 2026-12-31\n"


def test_export_writes_a_neutralised_csv_and_records_itself(cli: Callable[..., Result], tmp_path: Path) -> None:
    aged("import.committed", 1, subject="@SUM(A1:A9)", actor_label="ana@ourco.example")
    out = tmp_path / "trail.csv"
    done = cli("audit", "export", "--kind", "import.", "--out", str(out))
    assert done.exit_code == 0 and "Wrote 1 event(s)" in done.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[1][1:5] == ["import.committed", "ana@ourco.example", "", "'@SUM(A1:A9)"]
    [exported] = AuditEvent.objects.filter(kind="export.audit")
    assert exported.subject == "trail.csv" and exported.detail == {"events": 1, "kind": "import."}
    assert exported.actor_label.startswith("command line")
