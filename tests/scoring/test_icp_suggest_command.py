"""`referly icp suggest` on the tiny demo company: the table, the JSON, and --apply with its provenance."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from referly.scoring.config import load_settings, settings_in_force
from referly.scoring.models import ScoringSettingsVersion, SettingsSource

pytestmark = pytest.mark.django_db
DAY = "2026-11-01"


@pytest.fixture
def demo(cli: Callable[..., Result]) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY).exit_code == 0


def test_the_json_names_its_baseline_and_every_value_with_its_interval(demo: None, cli: Callable[..., Result]) -> None:
    result = cli("icp", "suggest", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["evidence"] == "measured" and "open deals are left out" in data["baseline"]
    assert data["decided"] == data["won"] + data["lost"] >= 30 and data["status"] == "proposed"
    industries = next(c for c in data["columns"] if c["field"] == "industry")["values"]
    for v in industries:
        low, high = v["win_rate_interval"]
        assert low <= v["win_rate"] <= high and v["n"] >= 1
    assert sum(c["weight"] for c in data["criteria"]) == 100
    assert data["applied_version"] is None and not ScoringSettingsVersion.objects.exists()


def test_apply_puts_the_criteria_in_force_with_their_provenance(demo: None, cli: Callable[..., Result]) -> None:
    before = load_settings()
    result = cli("icp", "suggest", "--apply", "--by", "ana@ourco.example")
    assert result.exit_code == 0, result.output
    assert "Proposed ICP criteria" in result.output and "Applied: settings version" in result.output
    version = ScoringSettingsVersion.objects.get()
    assert version.source == SettingsSource.ICP_SUGGEST and version.changed_by == "ana@ourco.example"
    assert (
        version.note.startswith("icp suggest on ")
        and "decided deals" in version.note
        and "ana@ourco.example" in version.note
    )
    in_force = settings_in_force()
    assert in_force.origin == "stored" and in_force.version.icp_from == version
    assert [c.field for c in in_force.settings.icp.criteria] == ["industry"]
    assert in_force.settings.icp.tier_a == before.icp.tier_a and in_force.settings.strength == before.strength


def test_below_the_minimum_it_says_insufficient_data_and_keeps_the_icp(demo: None, cli: Callable[..., Result]) -> None:
    result = cli("icp", "suggest", "--apply", "--min-deals", "100000")
    assert result.exit_code == 0, result.output
    assert "Insufficient data" in result.output and "The ICP in force is kept" in result.output
    assert not ScoringSettingsVersion.objects.exists()
    assert json.loads(cli("icp", "suggest", "--json", "--min-deals", "100000").output)["status"] == "insufficient data"


def test_an_empty_database_has_insufficient_data(cli: Callable[..., Result]) -> None:
    result = cli("icp", "suggest")
    assert result.exit_code == 0 and "Insufficient data" in result.output
