"""In French, the Setup and Team pages say every readiness sentence in French: on a new database and on a company."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from referly.readiness.checks import assess
from referly.readiness.queries import gather
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db


def _english_sentences() -> list[str]:
    """Every sentence the checks say about this database, in English."""
    with translation.override("en"):
        found = assess(gather(timezone.now().date()))
        return [line.sentence for line in found.lines] + found.left_out


def _french(client: Client, name: str) -> str:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return text_of(client.get(reverse(name)).content.decode()).replace("\u00a0", " ")


def test_a_new_database_is_told_what_to_import_in_french(team: Any) -> None:
    page = _french(logged_in(Client(), team.admin), "web:setup")
    english = _english_sentences()
    assert not [s for s in english if s in page], "an English readiness sentence on the French page"
    for gone in (
        "No account yet",
        "No deal yet",
        "0 possible sponsors",
        "No moment",
        "Score now",
        "each with an e-mail",
    ):
        assert gone not in page
    assert "Aucune affaire pour l’instant : sans affaire gagnée" in page
    assert "Aucun moment : aucun signal déclencheur enregistré" in page
    assert "coéquipiers, chacun avec son e-mail." in page
    assert "0 ambassadeur possible : aucun compte pour l’instant." in page
    assert "Calculer maintenant" in page


def test_a_company_reads_its_setup_and_its_team_in_french(company: Company) -> None:
    client = logged_in(Client(), company.team.admin)
    page = _french(client, "web:setup")
    english = _english_sentences()
    assert not [s for s in english if s in page], "an English readiness sentence on the French page"
    for gone in ("interactions and", "possible sponsors at", "ties between clients", "warm paths skipped", "gated:"):
        assert gone not in page
    assert "dates d’activité CRM ; 0 boîtes mail et 0 agendas connectés" in page
    assert "ambassadeurs possibles dans" in page and "liens entre clients et prospects" in page
    assert "chemins chaleureux écartés : la cible est suggérée par un meilleur ambassadeur." in page
    team_page = _french(client, "web:team")
    assert "Équipe" in team_page and "Créer un accès" in team_page
    for gone in ("Create a login", "No login", "teammates", "Save"):
        assert gone not in team_page
