"""Settings: the scoring settings and templates in effect, roles changed, tokens revoked (admins only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from referly.access.models import ApiToken
from referly.access.services import actor_for
from tests.personas import Team
from tests.web.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_settings_show_the_icp_weights_moments_caps_and_templates(client: Client, team: Team) -> None:
    html = logged_in(client, team.admin).get(reverse("web:settings")).content.decode()
    for words in ("industry", "measured_success", "asks per contact a quarter", "email.txt", "REFERLY_SCORING"):
        assert words in html


def test_an_admin_changes_a_role(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    done = c.post(reverse("web:change_role", args=[team.other.user.pk]), {"role": "manager"})
    assert done.status_code == 302
    assert actor_for(team.other.user).role == "manager"
    promoted = c.post(reverse("web:change_role", args=[team.viewer.user.pk]), {"role": "admin"})
    assert promoted.status_code == 302 and actor_for(team.viewer.user).role == "admin"
    wrong = c.post(reverse("web:change_role", args=[team.member.user.pk]), {"role": "owner"})
    assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.content.decode()


def test_the_last_admin_cannot_step_down(client: Client, team: Team) -> None:
    refused = logged_in(client, team.admin).post(
        reverse("web:change_role", args=[team.admin.user.pk]), {"role": "member"}
    )
    assert refused.status_code == 409 and actor_for(team.admin.user).role == "admin"


def test_an_admin_revokes_a_token(client: Client, team: Team) -> None:
    team.member.token("write")
    token = ApiToken.objects.get(user=team.member.user)
    c = logged_in(client, team.admin)
    assert f'id="token-{token.pk}"' in c.get(reverse("web:settings")).content.decode()
    assert c.post(reverse("web:revoke_token", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_admin_changes_the_scoring_settings_only_once_they_check(
    client: Client, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TOML text is stored as a new version in the database; the REFERLY_SCORING file is only read."""
    from referly.scoring.config import load_settings
    from referly.scoring.models import ScoringSettingsVersion

    kept = tmp_path / "scoring.toml"
    kept.write_text("[gates]\nasks_per_quarter = 3\n")
    monkeypatch.setenv("REFERLY_SCORING", str(kept))
    c = logged_in(client, team.admin)
    assert str(kept) in c.get(reverse("web:settings")).content.decode()
    broken = c.post(reverse("web:scoring"), {"form": "text", "text": "[gates]\nasks_per_quarter = \n"})
    assert broken.status_code == 422 and not ScoringSettingsVersion.objects.exists()
    html = broken.content.decode()
    assert 'aria-invalid="true"' in html and "asks_per_quarter = " in html  # typed text kept
    wrong = c.post(reverse("web:scoring"), {"form": "text", "text": "[strength]\nhalf_life_days = -3\n"})
    assert wrong.status_code == 422 and "positive" in wrong.content.decode()
    assert not ScoringSettingsVersion.objects.exists()
    saved = c.post(reverse("web:scoring"), {"form": "text", "text": "[gates]\nasks_per_quarter = 1\n"})
    assert saved.status_code == 302
    assert load_settings().gates.asks_per_quarter == 1 and kept.read_text().endswith("= 3\n"), "the file is untouched"
    html = c.get(reverse("web:settings")).content.decode()
    assert "asks_per_quarter = 1" in html and "is not read while a stored version is in force" in html
    manager = logged_in(Client(), team.manager)
    refused = manager.post(reverse("web:scoring"), {"form": "text", "text": "[gates]\nasks_per_quarter = 9\n"})
    assert refused.status_code == 403 and load_settings().gates.asks_per_quarter == 1
    back = c.post(reverse("web:scoring"), {"form": "file"})
    assert back.status_code == 302 and load_settings().gates.asks_per_quarter == 3


def test_without_a_settings_file_the_page_says_the_defaults_are_in_force(client: Client, team: Team) -> None:
    html = logged_in(client, team.admin).get(reverse("web:settings")).content.decode()
    assert 'id="scoring-form"' in html and "The shipped defaults" in html and "Nothing changed here yet" in html
