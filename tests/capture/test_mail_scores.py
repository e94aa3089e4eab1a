"""Scores from captured mail are the scores from the same touches imported as a CSV: capture adds no
weight of its own, it only finds the touches."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from referly.capture.mail import capture_files
from referly.crm.models import Interaction, InteractionKind
from referly.scoring.models import RelationshipStrength, ScoreRun
from tests.capture.mailbox_files import message, takeout_mbox
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 12, 7, tzinfo=UTC)
KINDS = {InteractionKind.EMAIL_OUT: "email_out", InteractionKind.EMAIL_IN: "email_in"}


def strengths() -> dict[tuple[str, str], tuple[float, int]]:
    run = ScoreRun.objects.latest("pk")
    rows = RelationshipStrength.objects.filter(run=run).values_list(
        "contact__email", "teammate__email", "strength", "touches"
    )
    return {(c, t): (round(s, 9), n) for c, t, s, n in rows}


def test_captured_mail_scores_as_the_same_touches_imported(
    db: Any, cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    team = [make_teammate(n, email=f"{n.lower()}@northbeam.example") for n in ("Alice", "Bruno")]
    people = []
    for n, domain in enumerate(("acme.example", "globex.example")):
        account = make_account(f"Company {domain}", domain=domain, lifecycle="client")
        people += [make_contact(account, email=f"p{n}{k}@{domain}") for k in range(3)]
    mail, start = [], datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for day in range(0, 260, 3):  # a realistic, uneven rhythm over most of a year
        person, mate = people[day % 5], team[day % 2]
        at = start + timedelta(days=day, hours=day % 7)
        if day % 4:
            mail.append(message(mate.email or "", person.email or "", at, message_id=f"o{day}@nb"))
        if day % 3 != 1:
            mail.append(message(person.email or "", mate.email or "", at + timedelta(hours=5), message_id=f"i{day}@x"))
    summary = capture_files([takeout_mbox(tmp_path / "mail.mbox", mail)], owner=None, now=NOW)
    assert summary.added == len(mail) > 100
    assert cli("score", "--as-of", "2026-12-01").exit_code == 0
    captured = strengths()
    assert len(captured) >= 6 and all(strength > 0 for strength, _ in captured.values())

    with (tmp_path / "touches.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["teammate", "contact", "kind", "occurred_at"])
        for t, c, k, at in Interaction.objects.values_list("teammate__email", "contact__email", "kind", "occurred_at"):
            writer.writerow([t, c, KINDS[InteractionKind(k)], at.isoformat()])
    Interaction.objects.all().delete()
    imported = cli("import", "interactions", str(tmp_path / "touches.csv"), "--strict")
    assert imported.exit_code == 0, imported.output
    assert Interaction.objects.count() == summary.added
    assert cli("score", "--as-of", "2026-12-01").exit_code == 0
    assert strengths() == captured
