"""The dashboard's fixtures: the tiny demo company scored, with the personas' logins on top."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import Result
from django.test import Client

from referly.scoring.models import NextBestAction, ScoreRun
from tests.personas import Login, Team, make_team

DAY = "2026-11-01"


@dataclass
class Company:
    """The tiny demo company, scored; Mo owns the two top actions, Olga the third."""

    team: Team
    run: ScoreRun
    mine: list[NextBestAction]  # Mo's
    others: list[NextBestAction]  # Olga's


@pytest.fixture(autouse=True)
def no_kept_scripts() -> None:
    """Each test renders its own scripts: ids repeat from one test database to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def company(cli: Callable[..., Result], db: Any) -> Company:
    made = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY)
    assert made.exit_code == 0, made.output
    scored = cli("score", "--as-of", DAY)
    assert scored.exit_code == 0, scored.output
    team = make_team()
    run = ScoreRun.objects.get()
    top = list(NextBestAction.objects.filter(run=run).order_by("rank")[:3])
    NextBestAction.objects.filter(pk__in=[a.pk for a in top[:2]]).update(owner=team.member.teammate)
    NextBestAction.objects.filter(pk=top[2].pk).update(owner=team.other.teammate)
    for action in top:
        action.refresh_from_db()
    return Company(team, run, top[:2], top[2:])


def logged_in(client: Client, login: Login) -> Client:
    client.force_login(login.user)
    return client


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
