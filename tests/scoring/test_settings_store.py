"""Scoring settings kept in the database with their history: which settings are in force, how the Settings
page's form and TOML text change them, and how the document is written as TOML."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import InvalidInput
from referly.scoring.config import defaults_document, load_settings, problems, settings_in_force
from referly.scoring.models import ScoringSettingsVersion, SettingsSource
from referly.scoring.settings_document import apply_form, form_fields, to_toml
from referly.scoring.settings_store import save_version
from tests.personas import Team
from tests.web.conftest import logged_in

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8)
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10),
)
tables = st.recursive(
    st.dictionaries(keys, st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(inner, st.lists(inner, min_size=1, max_size=2)), max_size=3),
    max_leaves=12,
)


@given(tables)
def test_any_document_written_as_toml_reads_back_unchanged(document: dict[str, Any]) -> None:
    assert tomllib.loads(to_toml(document)) == document


def test_the_defaults_read_back_and_check() -> None:
    document = defaults_document()
    assert tomllib.loads(to_toml(document)) == document and problems(document) == {}


def test_the_form_names_every_wrong_value_and_changes_nothing_else() -> None:
    document = defaults_document()
    posted = {f.path: f.text for f in form_fields(document)}
    unchanged, errors = apply_form(document, posted)
    assert errors == {} and unchanged == document, "saving the form untouched changes nothing"
    posted |= {"strength.half_life_days": "-3", "gates.cooldown_days": "2,5", "icp.criteria.0.weight": "heavy"}
    posted |= {"icp.tier_b": "90", "strength.weights.meeting": "6,5"}
    changed, errors = apply_form(document, posted)
    assert errors == {
        "strength.half_life_days": "must be positive",
        "gates.cooldown_days": "must be a whole number",
        "icp.criteria.0.weight": "must be a number",
        "icp.tier_b": "must not be above tier A",
    }
    assert changed["strength"]["weights"]["meeting"] == 6.5, "a decimal comma is read as a French user types it"


@pytest.mark.django_db
def test_the_newest_stored_version_wins_over_the_file_and_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings_in_force().origin == "defaults"
    kept = tmp_path / "scoring.toml"
    kept.write_text("[gates]\nasks_per_quarter = 1\n")
    monkeypatch.setenv("REFERLY_SCORING", str(kept))
    assert settings_in_force().origin == "file" and load_settings().gates.asks_per_quarter == 1
    document = defaults_document()
    document["strength"]["half_life_days"] = 45
    first = save_version(document, changed_by="admin", source=SettingsSource.FORM, now=NOW)
    assert settings_in_force().origin == "stored" and load_settings().strength.half_life_days == 45
    assert load_settings().gates.asks_per_quarter == 2, "a stored version is whole: the file is not read"
    assert first.icp_from == first
    document["gates"]["cooldown_days"] = 120
    second = save_version(document, changed_by="admin", source=SettingsSource.TEXT, now=NOW, note="fewer asks")
    assert second.icp_from == first, "the ICP criteria still come from the first version"
    save_version(None, changed_by="admin", source=SettingsSource.FILE, now=NOW)
    assert settings_in_force().origin == "file" and load_settings().gates.asks_per_quarter == 1
    assert ScoringSettingsVersion.objects.count() == 3


@pytest.mark.django_db
def test_a_wrong_version_is_never_stored() -> None:
    document = defaults_document()
    document["strength"]["reciprocity_floor"] = 2
    with pytest.raises(InvalidInput) as refused:
        save_version(document, changed_by="admin", source=SettingsSource.FORM, now=NOW)
    assert refused.value.field == "strength.reciprocity_floor"
    assert not ScoringSettingsVersion.objects.exists()


@pytest.mark.django_db
def test_an_admin_changes_values_in_the_form_and_sees_the_history(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    page = c.get(reverse("web:settings")).content.decode()
    assert 'id="scoring-form"' in page and 'name="strength.half_life_days"' in page and "shipped defaults" in page
    fields = {f.path: f.text for f in form_fields(defaults_document())}
    wrong = c.post(reverse("web:scoring"), {**fields, "form": "fields", "strength.half_life_days": "0"})
    assert wrong.status_code == 422 and not ScoringSettingsVersion.objects.exists()
    html = wrong.content.decode()
    assert 'aria-describedby="scoring-strength-half_life_days-error"' in html and "must be positive" in html
    saved = c.post(
        reverse("web:scoring"),
        {**fields, "form": "fields", "strength.half_life_days": "45", "icp.criteria.0.weight": "50", "note": "slower"},
    )
    assert saved.status_code == 302
    settings = load_settings()
    assert settings.strength.half_life_days == 45 and settings.icp.criteria[0].weight == 50
    html = c.get(reverse("web:settings")).content.decode()
    version = ScoringSettingsVersion.objects.get()
    assert f'id="scoring-version-{version.pk}"' in html and "slower" in html and "Settings page form" in html
    assert f"Version {version.pk} stored in the database" in html and "The ICP criteria come from version" in html


@pytest.mark.django_db
def test_only_an_admin_changes_them(client: Client, team: Team) -> None:
    refused = logged_in(client, team.manager).post(reverse("web:scoring"), {"form": "text", "text": "[gates]\n"})
    assert refused.status_code == 403 and not ScoringSettingsVersion.objects.exists()
