"""An empty cell in an optional column takes the field's default: it is never a database error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from referly.crm.models import Account

pytestmark = pytest.mark.django_db


def test_an_empty_lifecycle_cell_is_the_default_not_a_crash(cli: Any, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name,domain,lifecycle\nAcme,acme.example,\nBeta,beta.example,client\n", encoding="utf-8")
    done = cli("import", "accounts", str(accounts), "--strict")
    assert done.exit_code == 0, done.output
    assert dict(Account.objects.values_list("name", "lifecycle")) == {"Acme": "prospect", "Beta": "client"}
