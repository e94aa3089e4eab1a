"""The Setup page scores on demand: nobody is sent to a terminal to fill the lists."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from referly.scoring.models import ScoreRun
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db


def test_a_manager_scores_now_from_the_setup_page_and_is_told_what_came(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.manager)
    page = c.get(reverse("web:setup")).content.decode()
    assert 'id="score-now"' in page
    before = ScoreRun.objects.count()
    done = c.post(reverse("web:score_now"), follow=True)
    assert done.redirect_chain[-1][0].endswith(reverse("web:setup") + "#readiness-actions")
    assert ScoreRun.objects.count() == before + 1
    said = text_of(done.content.decode())
    actions = ScoreRun.objects.latest("pk").counts["actions"]
    assert f"Scored: {actions:,} next best actions in the new run." in said


def test_a_member_sees_the_checklist_but_no_score_button(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.member)
    assert 'id="score-now"' not in c.get(reverse("web:setup")).content.decode()
    assert c.post(reverse("web:score_now")).status_code == 403
    empty = text_of(c.get(reverse("web:sponsors")).content.decode())
    assert "referly score" not in empty


def test_the_setup_page_groups_its_counts_in_the_readers_language(company: Company) -> None:
    from referly.readiness.queries import gather

    contacts = gather(timezone.now().date()).contacts
    assert contacts >= 1000, "the demo company has thousands of contacts"
    english = text_of(logged_in(Client(), company.team.member).get(reverse("web:setup")).content.decode())
    assert f"{contacts:,} contacts: " in english
    french = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), company.team.member).get(reverse("web:setup"))
    grouped = f"{contacts:,}".replace(",", "\u00a0")
    assert f"{grouped} contacts : " in french.content.decode()  # the no-break space kept (text_of would squeeze it)
    sentences = re.findall(r"<p>(.*?)</p>|<li>(.*?)</li>", french.content.decode())
    assert not [s for s in sentences if re.search(r"\d{4,}|\d,\d{3}", "".join(s))], "a raw count on the page"
