"""The Maven CRM sample and the Enron e-mail log, each imported alone: `referly score` and `referly doctor` say
why each list is empty and what to import; once it is imported, the lists fill."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from referly.scoring.models import ScoreRun
from tests.conftest import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
DAY = "2026-11-01"


def doctor(cli: Callable[..., Result]) -> dict[str, dict[str, Any]]:
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    return {line["key"]: line for line in [*found["records"], *found["features"]]}


def score(cli: Callable[..., Result], day: str = DAY) -> tuple[str, ScoreRun]:
    result = cli("score", "--as-of", day)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), ScoreRun.objects.order_by("-id")[0]


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text.strip() + "\n", encoding="utf-8")
    return str(folder / name)


def test_maven_alone_asks_for_contacts_and_then_fills(
    cli: Callable[..., Result], datasets: Path, tmp_path: Path
) -> None:
    mapping = str(ROOT / "docs" / "examples" / "maven-crm.toml")
    assert cli("import", str(datasets / "maven-crm"), "--mapping", mapping).exit_code == 0
    said, run = score(cli)
    assert run.counts["sponsors"] == 0
    assert "0 possible sponsors: 85 client accounts but no contact there" in said
    lines = doctor(cli)
    assert lines["sponsors"]["status"] == "empty" and "referly import contacts" in lines["sponsors"]["command"]
    assert lines["accounts"]["numbers"]["clients_from_won_deals"] == 85  # no lifecycle column: won deals tell

    # What it asks for: contacts (two at a client, one at a new prospect), a tie, and a touch.
    assert (
        cli(
            "import",
            "accounts",
            write(tmp_path, "accounts.csv", "name,industry,employees,country\nNewco,Software,400,US"),
        ).exit_code
        == 0
    )
    contacts = "account,first_name,last_name,email,title\n"
    contacts += "Acme Corporation,Ann,Lee,ann@acme.example,VP Sales\nAcme Corporation,Ben,Ray,ben@acme.example,Buyer\n"
    contacts += "Newco,Nia,Cole,nia@newco.example,CTO"
    assert cli("import", "contacts", write(tmp_path, "contacts.csv", contacts)).exit_code == 0
    ties = "from_contact,to_contact,kind,confidence,provenance\n"
    ties += "ann@acme.example,nia@newco.example,former_colleagues,0.9,Both at Initech"
    assert cli("import", "connections", write(tmp_path, "connections.csv", ties)).exit_code == 0
    touches = "teammate,contact,kind,occurred_at\n" + "\n".join(
        f"Darcel Schlecht,ann@acme.example,{kind},2026-10-{day:02d}T10:00:00Z"
        for day, kind in ((2, "email_out"), (5, "email_in"), (9, "meeting"), (20, "email_out"), (22, "email_in"))
    )
    assert cli("import", "interactions", write(tmp_path, "interactions.csv", touches)).exit_code == 0
    _, run = score(cli)
    assert run.counts["sponsors"] == 2 and run.counts["actions"] == 1
    assert doctor(cli)["actions"]["status"] == "ok"


def test_enron_alone_asks_for_clients_and_then_fills(
    cli: Callable[..., Result], datasets: Path, tmp_path: Path
) -> None:
    mapping = str(ROOT / "docs" / "examples" / "enron-iptm.toml")
    assert cli("import", str(datasets / "enron-iptm"), "--mapping", mapping).exit_code == 0
    said, run = score(cli)
    assert run.counts["sponsors"] == 0 and run.counts["pairs"] > 0
    assert "0 accounts are clients (no lifecycle column, no won deal linked to an account)" in said
    assert doctor(cli)["deals"]["status"] == "empty"

    # What it asks for: a won deal with its company makes Enron a client; a prospect and a tie give a path.
    sender = "Kate Symes"  # writes to many colleagues in the log
    deals = "name,account,stage,amount,closed_on\nEnron trading desk,Enron,won,50000,2001-06-01"
    assert cli("import", "opportunities", write(tmp_path, "deals.csv", deals)).exit_code == 0
    assert (
        cli(
            "import",
            "accounts",
            write(tmp_path, "accounts.csv", "name,industry,employees,country\nNewco,Software,400,US"),
        ).exit_code
        == 0
    )
    assert (
        cli(
            "import",
            "contacts",
            write(tmp_path, "contacts.csv", "account,first_name,last_name,email\nNewco,Nia,Cole,nia@newco.example"),
        ).exit_code
        == 0
    )
    ties = f"from_contact,to_contact,kind,confidence,provenance\n{sender},nia@newco.example,declared,0.9,LinkedIn"
    assert cli("import", "connections", write(tmp_path, "connections.csv", ties)).exit_code == 0
    said, run = score(cli)
    assert run.counts["sponsors"] == 156 and run.counts["actions"] == 0
    assert "1 tie skipped: the path through it is weaker than the minimum." in said  # 2001's mail, 25 years on
    _, run = score(cli, "2001-12-01")
    assert run.counts["actions"] == 1
