"""`referly export crm`: files that re-import unchanged, leave nothing blank, and list what they cannot key."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from django.utils import timezone

from referly.cli import ReferlyGroup
from referly.connect.writeback import CRMS, column, groups
from referly.connect.writeback_commands import crm as crm_command
from referly.connect.writeback_fields import BY_KEY
from referly.crm.models import Account, Contact, Opportunity
from referly.referrals.models import Referral, ReferralTransition
from referly.scoring.models import AccountFit, NextBestAction, ScoreRun, SponsorScore
from tests.conftest import ROOT
from tests.factories import make_account, make_contact, make_opportunity, make_teammate

pytestmark = pytest.mark.django_db
SAMPLES = ROOT / "tests" / "ingest" / "samples"
AS_OF = datetime(2026, 11, 10, tzinfo=UTC)


@click.group(cls=ReferlyGroup)
def referly() -> None:
    """The command as `referly export crm` runs it: errors rendered as sentences."""


@click.group()
def export() -> None:
    """Exports."""


export.add_command(crm_command)
referly.add_command(export)


def run_export(*args: str) -> Result:
    return CliRunner().invoke(referly, ["export", "crm", *args], catch_exceptions=False)


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def exported(folder: Path) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    return {p.name: read(p) for p in sorted(folder.glob("*.csv")) if p.name != "unkeyed.csv"}


def referral_and_scores(crm: str) -> dict[str, Any]:
    """A referral from a client contact into a prospect's deal, and a scoring run over both."""
    client = Account.objects.filter(source_system=crm, lifecycle="client", contacts__isnull=False).first()
    target = (
        Account.objects.filter(source_system=crm, opportunities__stage__in=["prospecting", "negotiation", "proposal"])
        .exclude(pk=getattr(client, "pk", None))
        .first()
    )
    assert client is not None and target is not None
    referrer = client.contacts.order_by("pk").first()
    deal = target.opportunities.order_by("pk").first()
    target_person = target.contacts.order_by("pk").first()
    now = timezone.now()
    referral = Referral.objects.create(
        referrer_contact=referrer,
        referrer_account=client,
        target_account=target,
        target_contact=target_person,
        owner=make_teammate("Wendy Writer"),
        stage="introduced",
        attribution="sourced",
        opportunity=deal,
        created_at=now - timedelta(days=3),
        stage_changed_at=now - timedelta(days=1),
    )
    ReferralTransition.objects.create(referral=referral, from_stage="", to_stage="identified", at=referral.created_at)
    run = ScoreRun.objects.create(as_of=AS_OF, settings_hash="x", started_at=now)
    AccountFit.objects.create(run=run, account=target, fit=81.6, tier="A", criteria=[])
    AccountFit.objects.create(run=run, account=client, fit=55.2, tier="B", criteria=[])
    SponsorScore.objects.create(run=run, contact=referrer, account=client, score=72.4, gated=False, components={})
    if target_person is not None:
        NextBestAction.objects.create(
            run=run,
            rank=1,
            sponsor=referrer,
            sponsor_account=client,
            owner=referral.owner,
            target_account=target,
            target_contact=target_person,
            score=0.8,
            channel="email",
            explanation="",
            components={},
        )
    return {"client": client, "target": target, "referrer": referrer, "deal": deal, "person": target_person}


@pytest.mark.parametrize("crm", ["hubspot", "salesforce", "pipedrive"])
def test_the_files_reimport_with_the_same_preset_and_change_nothing(
    cli: Callable[..., Result], tmp_path: Path, crm: str
) -> None:
    assert cli("import", str(SAMPLES / crm), "--preset", crm, "--strict").exit_code == 0
    made = referral_and_scores(crm)
    out = tmp_path / "out"
    result = run_export("--preset", crm, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    files = exported(out)
    assert files and (out / "README.md").is_file()
    for name, (header, rows) in files.items():
        assert rows, name
        assert all(cell != "" for row in rows for cell in row.values()), f"{name} has an empty cell"
        assert len(header) == len(set(header))

    again = cli("import", str(out), "--preset", crm, "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    read_back = [f for f in summary["files"] if f["file"] in files]
    assert {f["kind"] for f in read_back} == {"accounts", "contacts", "opportunities"}
    assert sum(f["created"] + f["updated"] + f["rejected"] for f in summary["files"]) == 0, summary
    assert {f["file"] for f in summary["files"]} <= set(files)  # README, unkeyed and referrals are not read

    # Every value Referly holds is in a cell: the target account, the referrer, the deal.
    spec = CRMS[crm]
    cells = {k: v for _, rows in files.values() for row in rows for k, v in row.items()}
    assert cells[column(spec, "accounts", BY_KEY["icp_tier"])] in ("A", "B")
    assert cells[column(spec, "contacts", BY_KEY["sponsor_score"])] == "72"
    assert cells[column(spec, "contacts", BY_KEY["sponsor_status"])] == "Ready"
    assert cells[column(spec, "opportunities", BY_KEY["referral_stage"])] == "Introduced"
    assert cells[column(spec, "opportunities", BY_KEY["referral_credit"])] == "Sourced"
    deal_rows = [row for name, (_, rows) in files.items() if "deal" in name or "opportunit" in name for row in rows]
    ours = next(row for row in deal_rows if made["deal"].external_id in row.values())
    assert ours[column(spec, "opportunities", BY_KEY["referring_account"])] == made["client"].name
    assert ours[column(spec, "opportunities", BY_KEY["referring_contact"])] == made["referrer"].name
    assert (
        ours[column(spec, "opportunities", BY_KEY["referral_date"])]
        == made["deal"].referrals.get().created_at.date().isoformat()
    )
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert column(spec, "contacts", BY_KEY["sponsor_score"]) in readme or "Referly sponsor score" in readme


def test_custom_property_names_follow_each_crms_rules() -> None:
    score = BY_KEY["sponsor_score"]
    assert column(CRMS["hubspot"], "contacts", score) == "referly_sponsor_score"
    assert column(CRMS["salesforce"], "contacts", score) == "Referly_Sponsor_Score__c"
    assert column(CRMS["salesforce"], "accounts", BY_KEY["icp_tier"]) == "Referly_ICP_Tier__c"
    assert column(CRMS["pipedrive"], "contacts", score) == "Person - Referly sponsor score"


def test_rows_that_fill_other_columns_go_to_other_files() -> None:
    rows = [{"id": "1", "a": "x"}, {"id": "2", "a": "y", "b": "z"}, {"id": "3", "a": "w"}]
    assert groups(rows, ["id", "a", "b"]) == [
        (["id", "a"], [rows[0], rows[2]]),
        (["id", "a", "b"], [rows[1]]),
    ]


def test_an_unknown_preset_is_refused_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(referly, ["export", "crm", "--preset", "zoho", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "--preset" in result.output and "zoho" in result.output and "hubspot" in result.output
    assert "Traceback" not in result.output
    bad = CliRunner().invoke(referly, ["export", "crm", "--preset", "hubspot", "--kinds", "deals", "--out", "x"])
    assert bad.exit_code == 2 and "--kinds" in bad.output
    late = CliRunner().invoke(referly, ["export", "crm", "--preset", "hubspot", "--since", "10/11/2026", "--out", "x"])
    assert late.exit_code == 2 and "--since" in late.output


def test_since_exports_only_what_changed_since_that_day(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("import", str(SAMPLES / "hubspot"), "--preset", "hubspot").exit_code == 0
    made = referral_and_scores("hubspot")
    ScoreRun.objects.update(as_of=datetime(2026, 1, 5, tzinfo=UTC))
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    for model in (Account, Contact, Opportunity):
        model.objects.update(created_at=long_ago, updated_at=long_ago)
    since = (timezone.now() - timedelta(days=4)).date()
    # The referral was made three days ago: its target account, person and deal changed, and the referrer's
    # account and person (referrals made); the scores and every other record did not.
    assert (
        run_export("--preset", "hubspot", "--since", since.isoformat(), "--out", str(tmp_path / "new")).exit_code == 0
    )
    ids = {row["Record ID"] for _, rows in exported(tmp_path / "new").values() for row in rows if "Record ID" in row}
    expected = {made["target"].external_id, made["deal"].external_id, made["client"].external_id}
    expected |= {made["referrer"].external_id, made["person"].external_id}
    assert ids == expected
    Referral.objects.update(created_at=long_ago, stage_changed_at=long_ago)
    ReferralTransition.objects.update(at=long_ago)
    assert (
        run_export("--preset", "hubspot", "--since", since.isoformat(), "--out", str(tmp_path / "none")).exit_code == 0
    )
    assert exported(tmp_path / "none") == {}
    everything = tmp_path / "all"
    assert (
        run_export("--preset", "hubspot", "--since", date(2025, 12, 1).isoformat(), "--out", str(everything)).exit_code
        == 0
    )
    assert {r["Record ID"] for _, rows in exported(everything).values() for r in rows if "Record ID" in r} == expected


def test_records_without_a_key_are_listed_with_the_reason(tmp_path: Path) -> None:
    owner = make_teammate("Olive Owner")
    client = make_account("Demo Client", domain=None, lifecycle="client", source_system="demo")
    prospect = make_account("Demo Prospect", domain="prospect.example", source_system="demo")
    referrer = make_contact(client, email=None, source_system="demo")
    person = make_contact(prospect, email="pat@prospect.example", source_system="demo")
    deal = make_opportunity(prospect, source_system="demo", external_id="D-9")
    now = timezone.now()
    Referral.objects.create(
        referrer_contact=referrer,
        referrer_account=client,
        target_account=prospect,
        target_contact=person,
        owner=owner,
        opportunity=deal,
        created_at=now,
        stage_changed_at=now,
    )
    out = tmp_path / "out"
    result = run_export("--preset", "hubspot", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "unkeyed.csv" in result.output.replace("\n", "")
    _, unkeyed = read(out / "unkeyed.csv")
    reasons = {(u["kind"], u["record"]): u["reason"] for u in unkeyed}
    assert reasons[("accounts", "Demo Client")] == "no HubSpot Company id (imported from demo) and no domain"
    assert reasons[("contacts", referrer.name)].endswith("and no e-mail")
    assert "on their id only" in reasons[("opportunities", deal.name)]
    keyed = exported(out)
    assert keyed["hubspot-companies.csv"][1] == [
        {
            "Company Domain Name": "prospect.example",
            "Company name": "Demo Prospect",
            "referly_referral_source": "Referral via E-mail",
            "referly_referring_account": "Demo Client",
            "referly_referring_contact": referrer.name,
            "referly_referral_stage": "Identified",
            "referly_referral_date": now.date().isoformat(),
            "referly_referral_stage_date": now.date().isoformat(),
        }
    ]
    assert keyed["hubspot-contacts.csv"][1][0]["Email"] == "pat@prospect.example"
    assert "hubspot-referly-referrals.csv" in keyed
    # Salesforce matches accounts on their id only; Pipedrive has no custom objects for the referrals file.
    assert run_export("--preset", "salesforce", "--out", str(tmp_path / "sf")).exit_code == 0
    _, sf = read(tmp_path / "sf" / "unkeyed.csv")
    assert {u["record"] for u in sf if u["kind"] == "accounts"} == {"Demo Client", "Demo Prospect"}
    piped = run_export("--preset", "pipedrive", "--kinds", "referrals", "--out", str(tmp_path / "pd"))
    assert piped.exit_code == 0 and "no custom objects" in piped.output
    assert exported(tmp_path / "pd") == {}


def test_the_folder_must_be_new_or_empty(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x\n1\n")
    result = run_export("--preset", "hubspot", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--out" in result.output


def test_the_tiny_demo_reimports_without_creating_or_changing_a_value(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """The demo's records come from no CRM ("demo"): HubSpot keys them on e-mail and domain, and a record
    matched that way keeps its source system, so nothing at all changes."""
    assert cli("demo-data", "--scale", "tiny").exit_code == 0
    assert cli("score").exit_code == 0

    def snapshot() -> list[list[dict[str, Any]]]:
        skip = {"updated_at"}
        return [
            list(
                model.objects.order_by("pk").values(
                    *[f.attname for f in model._meta.concrete_fields if f.attname not in skip]
                )
            )
            for model in (Account, Contact, Opportunity)
        ]

    before = snapshot()
    out = tmp_path / "demo"
    assert run_export("--preset", "hubspot", "--out", str(out)).exit_code == 0
    summary = json.loads(cli("import", str(out), "--preset", "hubspot", "--json").output)
    assert sum(f["created"] + f["rejected"] for f in summary["files"]) == 0
    keyed = sum(len(rows) for name, (_, rows) in exported(out).items() if "referrals" not in name)
    assert sum(f["updated"] for f in summary["files"]) == 0
    assert sum(f["unchanged"] for f in summary["files"]) == keyed
    assert snapshot() == before
