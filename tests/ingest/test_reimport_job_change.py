"""A re-import that puts a known contact at another account records a job change, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from django.utils import timezone

from referly.crm.models import Contact, Employment, Signal

pytestmark = pytest.mark.django_db
HEADER = "external_id,account,first_name,last_name,email,title\n"


@pytest.fixture
def imported(cli: Callable[..., Result], tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(
        "name,domain,lifecycle\nAcme,acme.example,client\nGlobex,globex.example,prospect\nInitech,initech.example,prospect\n"
    )
    assert cli("import", "accounts", str(tmp_path / "accounts.csv"), "--strict").exit_code == 0
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        HEADER + "c-1,acme.example,Jane,Roe,jane@acme.example,COO\nc-2,acme.example,Bob,Stay,bob@acme.example,CFO\n"
    )
    assert cli("import", "contacts", str(contacts), "--strict").exit_code == 0
    return contacts


def report(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.output)["files"]
    return dict(file)


def test_a_contact_at_another_account_in_a_newer_export_has_changed_jobs(
    cli: Callable[..., Result], imported: Path
) -> None:
    today = timezone.now().date()
    imported.write_text(
        HEADER
        + "c-1,globex.example,Jane,Roe,jane@acme.example,VP Ops\nc-2,acme.example,Bob,Stay,bob@acme.example,CFO\n"
    )
    dry = report(cli("import", "contacts", str(imported), "--dry-run", "--json"))
    assert dry["job_changes"] == 1 and not Signal.objects.exists()

    moved = report(cli("import", "contacts", str(imported), "--json"))
    assert (moved["updated"], moved["unchanged"], moved["job_changes"]) == (1, 1, 1)
    jane = Contact.objects.get(external_id="c-1")
    assert (jane.account.name, jane.title) == ("Globex", "VP Ops")
    stints = Employment.objects.filter(contact=jane).order_by("id")
    assert [(e.company_name, e.title, e.started_on, e.ended_on) for e in stints] == [
        ("Acme", "COO", None, today),
        ("Globex", "", today, None),
    ]
    signal = Signal.objects.get(kind="job_change")
    assert (signal.contact, signal.account, signal.occurred_on) == (jane, jane.account, today)
    assert signal.detail == "from Acme (import of contacts.csv)"

    again = report(cli("import", "contacts", str(imported), "--json"))
    assert (again["unchanged"], again["job_changes"]) == (2, 0)
    assert Signal.objects.count() == 1


def test_a_contact_found_by_external_id_with_a_new_address_moves_and_the_summary_says_so(
    cli: Callable[..., Result], imported: Path
) -> None:
    imported.write_text(HEADER + "c-1,initech.example,Jane,Roe,jane.roe@initech.example,COO\n")
    shown = cli("import", "contacts", str(imported))
    assert shown.exit_code == 0, shown.output
    assert "contacts.csv: 1 contact changed company (recorded as job changes)" in shown.output
    jane = Contact.objects.get(external_id="c-1")
    assert (jane.account.name, jane.email) == ("Initech", "jane.roe@initech.example")
    assert Signal.objects.get(kind="job_change").detail == "from Acme (import of contacts.csv)"


def test_an_erased_contact_is_never_moved_by_an_import(cli: Callable[..., Result], imported: Path) -> None:
    Contact.objects.filter(external_id="c-2").update(erased_at=timezone.now())
    imported.write_text(HEADER + "c-2,globex.example,Bob,Stay,bob@acme.example,CFO\n")
    moved = report(cli("import", "contacts", str(imported), "--json"))
    assert moved["job_changes"] == 0
    assert not Signal.objects.exists() and not Employment.objects.exists()
