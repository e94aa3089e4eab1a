"""Importing the real public datasets, as a new user would, and checking against their SOURCE.md."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from django.db.models import Count

from referly.census import record_counts
from referly.crm.models import Account, Contact, Interaction, Opportunity, OpportunityStageChange, Teammate
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
MAVEN = ROOT / "docs" / "examples" / "maven-crm.toml"
ENRON = ROOT / "docs" / "examples" / "enron-iptm.toml"


def snapshot() -> dict[str, object]:
    """Every row of the tables an import writes, to compare before and after."""
    return {
        "counts": record_counts(),
        "teammates": sorted(Teammate.objects.values_list("name", "email", "team", "manager__name")),
        "accounts": sorted(Account.objects.values_list("name", "industry", "annual_revenue", "country")),
        "opportunities": sorted(
            Opportunity.objects.values_list("external_id", "stage", "amount", "product", "created_on", "closed_on")
        ),
    }


def test_maven_crm_imports_with_its_counts_and_quirks(cli: Callable[..., Result], datasets: Path) -> None:
    result = cli("import", str(datasets / "maven-crm"), "--mapping", str(MAVEN))
    assert result.exit_code == 0, result.output
    assert Account.objects.count() == 85
    assert Teammate.objects.count() == 41  # 35 agents and their 6 managers
    assert Teammate.objects.filter(manager__isnull=False).count() == 35
    assert Teammate.objects.filter(role="manager").count() == 6
    assert Opportunity.objects.count() == 8_800
    stages = dict(Opportunity.objects.values_list("stage").annotate(n=Count("id")))
    assert stages == {"won": 4_238, "lost": 2_473, "qualification": 1_589, "prospecting": 500}
    assert Opportunity.objects.filter(account__isnull=True).count() == 1_425
    assert Opportunity.objects.filter(product="GTX Pro").count() == 1_480
    assert not Opportunity.objects.filter(product="GTXPro").exists()
    assert Account.objects.filter(industry="Technology").count() == 12
    assert Account.objects.get(name="Bioholding").country == "PH"
    assert Account.objects.get(name="Acme Corporation").annual_revenue == 1_100_040_000
    assert OpportunityStageChange.objects.count() == 8_800


def test_importing_maven_twice_changes_nothing(cli: Callable[..., Result], datasets: Path) -> None:
    assert cli("import", str(datasets / "maven-crm"), "--mapping", str(MAVEN)).exit_code == 0
    before = snapshot()
    again = cli("import", str(datasets / "maven-crm"), "--mapping", str(MAVEN), "--json")
    assert again.exit_code == 0, again.output
    assert '"created": 0' in again.output and '"updated": 0' in again.output
    assert snapshot() == before


def test_a_strict_import_with_one_corrupt_row_leaves_the_database_exactly_as_it_was(
    cli: Callable[..., Result], datasets: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "maven-crm"
    shutil.copytree(datasets / "maven-crm", copy)
    assert cli("import", "teammates", str(copy / "sales_teams.csv"), "--mapping", str(MAVEN)).exit_code == 0
    lines = (copy / "sales_pipeline.csv").read_bytes().split(b"\r\n")
    lines[4000] = lines[4000].replace(b",2017-06-18,", b",2017-18-06,")  # month and day swapped
    (copy / "sales_pipeline.csv").write_bytes(b"\r\n".join(lines))
    before = snapshot()
    errors = tmp_path / "errors.csv"
    result = cli("import", str(copy), "--mapping", str(MAVEN), "--strict", "--errors", str(errors))
    assert result.exit_code == 2
    assert "nothing was written" in result.output
    assert snapshot() == before
    refused = list(csv.reader(errors.open()))
    assert refused[0] == ["file", "line", "column", "value", "reason"]
    assert len(refused) == 2
    assert refused[1][:4] == ["sales_pipeline.csv", "4001", "engage_date", "2017-18-06"]
    assert refused[1][4].startswith("created_on is not a date")


def test_a_dry_run_reports_what_would_change_and_writes_nothing(cli: Callable[..., Result], datasets: Path) -> None:
    result = cli("import", str(datasets / "maven-crm"), "--mapping", str(MAVEN), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "8,800" in result.output and "nothing was written" in result.output
    assert sum(record_counts().values()) == 0


def test_enron_imports_employees_and_every_recipient_row(cli: Callable[..., Result], datasets: Path) -> None:
    result = cli("import", str(datasets / "enron-iptm"), "--mapping", str(ENRON), "--json")
    assert result.exit_code == 0, result.output
    assert Teammate.objects.count() == 156
    assert Contact.objects.count() == 156
    assert Contact.objects.filter(title="VP Trading").exists()
    assert Contact.objects.get(external_id="1").last_name == "Arnold"
    # 38,388 recipient rows (SOURCE.md): each is an interaction, or repeats one exactly.
    touches = Interaction.objects.count()
    assert '"rejected": 0' in result.output
    assert f'"created": {touches}' in result.output
    merged = int(result.output.split('"duplicates_merged": ')[-1].split(",")[0])
    assert touches + merged == 38_388
    first, last = Interaction.objects.order_by("occurred_at").values_list("occurred_at", flat=True)[:: touches - 1]
    assert (first.year, last.year) == (1998, 2002)
