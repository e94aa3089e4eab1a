"""POST /imports without a kind: the file is recognised, and its warnings come back with the report."""

from __future__ import annotations

import pytest

from referly.crm.models import Opportunity
from tests.api.conftest import World, upload

pytestmark = pytest.mark.django_db

# A HubSpot deals "Export view" without the associated company column (headers: docs/import-presets.md).
DEALS = (
    b"Record ID,Deal Name,Amount,Deal Stage,Close Date,Create Date,Deal owner,Original Traffic Source\n"
    b"91,Northwind - Platform,48000,Closed Won,2025-02-14 10:00,2024-11-05 09:12,Maya Patel,Referrals\n"
    b"92,Bluefjord - Fleet,125000,Demo booked,,2026-06-02 14:05,Daniel Okafor,Organic Search\n"
)


def test_a_file_without_a_kind_is_recognised_and_warned_about(world: World) -> None:
    maya = world.team.manager.token()
    before = Opportunity.objects.count()
    name = "hubspot-crm-exports-all-deals-2024-05-01.csv"
    response = upload("/imports", maya, name, DEALS, preset="hubspot", dry_run="true")
    assert response.status_code == 200, response.content
    (file,) = response.json()["files"]
    assert file["kind"] == "opportunities" and file["created"] == 2 and file["rejected"] == 0
    codes = {w["code"]: w for w in file["warnings"]}
    assert codes["missing_column"]["field"] == "account"
    assert "1 won deal will not make its company a client" in codes["missing_column"]["message"]
    assert codes["unknown_stages"]["columns"] == ["Demo booked"]
    assert Opportunity.objects.count() == before, "a dry run writes nothing"
