"""A CRM export alone (accounts, contacts, deals and their owners, activity dates) gives possible sponsors, ranked on
what is known and saying what is missing; and every warm path a run leaves out is counted with its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from referly.crm.models import Interaction
from referly.crm.models.activity import InteractionKind
from referly.scoring.models import NextBestAction, ScoreRun, SponsorScore

pytestmark = pytest.mark.django_db
DAY = "2026-11-01"
FILES = {
    "teammates": "name,email\nAlice Owner,alice@ours.example",
    "accounts": "name,domain,industry,employees,country\nAcme,acme.example,Software,300,US\n"
    "Globex,globex.example,Software,800,US",
    "contacts": "account,first_name,last_name,email,title\nAcme,Ann,Client,ann@acme.example,VP Operations\n"
    "Acme,Bob,Client,bob@acme.example,Director\nGlobex,Gail,Prospect,gail@globex.example,CTO",
    "opportunities": "name,account,stage,owner,amount,closed_on\nAcme deal,Acme,won,Alice Owner,10000,2026-03-01",
    "interactions": "teammate,contact,kind,occurred_at\n"
    "alice@ours.example,ann@acme.example,crm_activity,2026-10-20T10:00:00Z\n"
    "alice@ours.example,ann@acme.example,crm_activity,2026-09-02T10:00:00Z",
}


def load(cli: Callable[..., Result], folder: Path, **files: str) -> None:
    for kind, text in files.items():
        (folder / f"{kind}.csv").write_text(text + "\n", encoding="utf-8")
        result = cli("import", kind, str(folder / f"{kind}.csv"))
        assert result.exit_code == 0, result.output


def score(cli: Callable[..., Result]) -> tuple[str, ScoreRun]:
    result = cli("score", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), ScoreRun.objects.order_by("-id")[0]


def test_a_crm_export_alone_gives_sponsors_with_the_missing_evidence_named(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    load(cli, tmp_path, **FILES)
    said, run = score(cli)
    assert run.counts["sponsors"] == 2  # Acme is a client through its won deal: no lifecycle column needed
    ann = SponsorScore.objects.get(run=run, contact__email="ann@acme.example")
    bob = SponsorScore.objects.get(run=run, contact__email="bob@acme.example")
    assert "no interactions: proximity from CRM activity dates only" in ann.components["missing"]
    assert "no NPS" in ann.components["missing"]
    assert ann.components["proximity"] > bob.components["proximity"] == 0  # the activity dates count, weakly
    assert ann.components["tenure"] > 0  # client since the won deal closed
    assert "proximity from CRM activity dates only" in said
    assert "Connect a mailbox" in said  # the next step for warm paths


def test_crm_activity_counts_for_less_than_real_mail(cli: Callable[..., Result], tmp_path: Path) -> None:
    mail = FILES["interactions"].replace("crm_activity", "email_out")
    load(cli, tmp_path, **{**FILES, "interactions": mail})
    _, run = score(cli)
    by_mail = SponsorScore.objects.get(run=run, contact__email="ann@acme.example").components["proximity"]
    Interaction.objects.filter(kind=InteractionKind.EMAIL_OUT).update(kind=InteractionKind.CRM_ACTIVITY)
    _, run = score(cli)
    by_activity = SponsorScore.objects.get(run=run, contact__email="ann@acme.example").components["proximity"]
    assert 0 < by_activity < by_mail


def test_a_warm_path_to_a_target_with_a_late_stage_deal_is_counted_and_said(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    touches = "\n".join(
        f"alice@ours.example,ann@acme.example,{kind},2026-10-{day:02d}T10:00:00Z"
        for day, kind in ((2, "email_out"), (5, "email_in"), (9, "meeting"), (20, "call"))
    )
    load(
        cli,
        tmp_path,
        **{**FILES, "interactions": FILES["interactions"] + "\n" + touches},
        connections="from_contact,to_contact,kind,confidence,provenance\n"
        "ann@acme.example,gail@globex.example,former_colleagues,0.9,Both at Initech",
    )
    _, run = score(cli)
    assert run.counts["actions"] == 1 and NextBestAction.objects.filter(run=run).count() == 1
    load(cli, tmp_path, opportunities="name,account,stage,owner,amount\nGlobex deal,Globex,proposal,Alice Owner,5000")
    said, run = score(cli)
    assert run.counts["actions"] == 0 and run.counts["skipped.late_deal"] == 1
    assert "1 warm path skipped: the target has a late-stage deal." in said
    listed = cli("actions")
    assert "1 warm path skipped: the target has a late-stage deal." in " ".join(listed.output.split())
