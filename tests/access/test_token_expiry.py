"""API tokens expire: the lifetime given on the command line, the list with its warnings, and the Settings page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from referly.access.models import ApiToken
from referly.access.token_expiry import UNIT_DAYS, health_warnings, parse_lifetime, token_health
from referly.audit.models import AuditEvent
from referly.errors import InvalidInput

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=3650), st.sampled_from(sorted(UNIT_DAYS)))
def test_a_number_and_a_unit_is_that_many_days(n: int, unit: str) -> None:
    days = n * UNIT_DAYS[unit]
    if days > 3650:
        with pytest.raises(InvalidInput, match="ten years"):
            parse_lifetime(f"{n}{unit}")
    else:
        assert parse_lifetime(f" {n}{unit.upper()} ") == timedelta(days=days)


@given(st.text(max_size=10))
def test_anything_else_is_refused_with_the_forms_accepted_or_means_never(text: str) -> None:
    try:
        lifetime = parse_lifetime(text)
    except InvalidInput as exc:
        refused: InvalidInput | None = exc
    else:
        refused = None
        assert lifetime is None or timedelta(days=1) <= lifetime <= timedelta(days=3650)
    assert refused is None or refused.field == "expires_in"


def test_never_and_zero() -> None:
    assert parse_lifetime("never") is None
    with pytest.raises(InvalidInput, match="at least one day"):
        parse_lifetime("0d")


@pytest.mark.parametrize(
    ("created", "used", "expires", "said"),
    [
        (-10, -1, 80, []),
        (-60, -45, 30, ["last used 45 days ago: revoke it?"]),
        (-40, None, 50, ["never used, created 40 days ago: revoke it?"]),
        (-80, -2, 10, ["expires on 2026-12-17, in 10 days: issue a new one"]),
        (-100, -5, -3, ["expired on 2026-12-04"]),
        (-5, -1, None, ["never expires"]),
    ],
)
def test_what_a_token_list_says(created: int, used: int | None, expires: int | None, said: list[str]) -> None:
    day = timedelta(days=1)
    expiry = None if expires is None else NOW + expires * day
    health = token_health(NOW + created * day, None if used is None else NOW + used * day, expiry, NOW)
    assert health_warnings(health, expiry) == said


def test_a_token_lives_ninety_days_unless_told_and_never_is_said(team: Any, cli: Any) -> None:
    issued = cli("user", "token", team.member.email, "--name", "BI export")
    assert issued.exit_code == 0, issued.output
    token = ApiToken.objects.get(user=team.member.user, name="BI export")
    assert token.expires_at is not None
    assert (token.expires_at - token.created_at) == timedelta(days=90)
    assert f"expires on {token.expires_at:%Y-%m-%d}" in issued.output
    forever = cli("user", "token", team.member.email, "--name", "Sync", "--expires-in", "never")
    assert "never expires" in forever.output
    assert ApiToken.objects.get(name="Sync").expires_at is None
    refused = cli("user", "token", team.member.email, "--name", "X", "--expires-in", "soon")
    assert refused.exit_code == 2 and "not a lifetime" in refused.output and "Traceback" not in refused.output
    created = AuditEvent.objects.filter(kind="token.created", detail__token=token.pk).get()
    assert created.actor_label.startswith("command line")


def test_the_token_list_flags_stale_expiring_and_expired_tokens(team: Any, cli: Any) -> None:
    now = timezone.now()
    day = timedelta(days=1)
    made = {
        name: ApiToken.objects.create(
            user=team.member.user,
            name=name,
            prefix=f"rly_{name[:6]}",
            digest=name.ljust(64, "0"),
            scope="read",
            created_at=now - created * day,
            last_used_at=None if used is None else now - used * day,
            expires_at=None if left is None else now + left * day,
        )
        for name, created, used, left in [
            ("fresh", 3, 1, 87),
            ("stale", 60, 45, 30),
            ("expiring", 80, 1, 10),
            ("expired", 100, 5, -3),
            ("forever", 5, 1, None),
        ]
    }
    listed = cli("user", "tokens", team.member.email, "--json")
    assert listed.exit_code == 0, listed.output
    warnings = {row["name"]: row["warnings"] for row in json.loads(listed.output)}
    assert warnings["fresh"] == []
    assert warnings["stale"] == ["last used 45 days ago: revoke it?"]
    assert warnings["expiring"][0].endswith("in 9 days: issue a new one")  # 10 days less the moments since
    assert warnings["expired"][0].startswith("expired on")
    assert warnings["forever"] == ["never expires"]
    table = cli("user", "tokens", team.member.email)
    assert "revoke it?" in table.output
    admin = Client()
    admin.force_login(team.admin.user)
    page = admin.get("/settings/").content.decode()
    assert f'id="token-{made["stale"].pk}-stale"' in page and "last used 45 days ago: revoke it?" in page
    assert f'id="token-{made["fresh"].pk}-stale"' not in page
    assert "issue a new one" in page and "expired on" in page


def test_revoking_is_recorded(team: Any, cli: Any) -> None:
    token = ApiToken.objects.get(pk=_token_id(team))
    admin = Client()
    admin.force_login(team.admin.user)
    admin.post(f"/settings/tokens/{token.pk}/revoke")
    event = AuditEvent.objects.get(kind="token.revoked", detail__token=token.pk)
    assert event.actor_label == team.admin.email and team.member.email in event.mentions
    assert cli("user", "tokens", team.member.email).output.strip().endswith("has no API token in use.")


def _token_id(team: Any) -> int:
    team.member.token("read")
    return int(ApiToken.objects.filter(user=team.member.user).values_list("pk", flat=True).get())
