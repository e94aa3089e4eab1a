"""The readiness sentences write their counts as the Numbers column does: grouped by thousands, in the reader's
language (EN 1,999,310; FR 1 999 310 with a no-break space); the plural still follows the count itself."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import Result
from django.utils import translation

from referly.readiness.checks import Counts, interactions, nps, sponsors
from referly.scoring.left_out import left_out

NBSP = "\u00a0"
BIG = Counts(
    accounts=20000,
    clients_recorded=15407,
    prospects=4593,
    contacts=31000,
    contacts_at_clients=15407,
    contacts_at_prospects=15593,
    interactions=1999310,
    crm_activity=1200,
    nps_answers=1000,
)


def test_counts_are_grouped_in_english() -> None:
    with translation.override("en"):
        assert interactions(BIG).sentence.startswith("1,999,310 interactions and 1,200 CRM activity dates;")
        assert sponsors(BIG).sentence.startswith("15,407 possible sponsors at 15,407 client accounts.")
        assert left_out({"skipped.late_deal": 41820}) == [
            "41,820 warm paths skipped: the target has a late-stage deal."
        ]


def test_counts_are_grouped_with_a_no_break_space_in_french() -> None:
    with translation.override("fr"):
        assert interactions(BIG).sentence.startswith(f"1{NBSP}999{NBSP}310 interactions et 1{NBSP}200 dates")
        assert sponsors(BIG).sentence.startswith(f"15{NBSP}407 ambassadeurs possibles dans 15{NBSP}407 comptes")
        assert left_out({"skipped.late_deal": 41820}) == [
            f"41{NBSP}820 chemins chaleureux écartés : la cible a une affaire à un stade avancé."
        ]


def test_the_plural_follows_the_count_not_its_text() -> None:
    with translation.override("en"):
        assert nps(Counts(nps_answers=1)).sentence == "1 NPS answer."
        assert nps(Counts(nps_answers=1000)).sentence == "1,000 NPS answers."
    with translation.override("fr"):
        assert nps(Counts(nps_answers=1)).sentence == "1 réponse NPS."
        assert nps(Counts(nps_answers=1000)).sentence == f"1{NBSP}000 réponses NPS."


@pytest.mark.django_db
def test_the_doctor_writes_grouped_counts_in_its_sentences(cli: Callable[..., Result]) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    assert cli("score", "--as-of", "2026-11-01").exit_code == 0
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    said = [line["sentence"] for line in [*found["records"], *found["features"]]] + found["left_out"]
    touches = found["counts"]["interactions"]
    assert touches >= 1000, "the demo company has thousands of interactions"
    assert any(s.startswith(f"{touches:,} interactions and ") for s in said)
    raw = [s for s in said if re.search(r"(?<![\d,.])\d{4,}", s)]
    assert not raw, f"a count written without its thousands grouped: {raw}"
