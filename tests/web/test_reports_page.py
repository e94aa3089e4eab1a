"""The Reports and Review pages open with the executive summary, in the reader's language and number style."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


def _sections(html: str) -> list[str]:
    return re.findall(r'<section[^>]* id="(report-[\w-]+)"', html)


def test_the_reports_page_opens_with_the_summary_and_its_actions(client: Client, company: Company) -> None:
    html = logged_in(client, company.team.member).get(reverse("web:reports"), {"month": "2026-10"}).content.decode()
    assert _sections(html)[0] == "report-summary"
    summary = text_of(html.split('id="report-summary"')[1].split("</section>")[0])
    assert "Executive summary" in summary and "Pipeline sourced by referrals" in summary
    assert "Actions that matter" in summary and re.search(r"From the latest scoring run, as of 2026-11-\d\d\.", summary)
    assert summary.count(": ask ") == 3  # the run's top three next best actions
    assert "Left out of every amount for want of an exchange rate: 76 opportunities (3 CAD, 15 GBP, 58 USD)" in summary
    assert "referly fx import eurofxref-hist.csv" in summary
    measured_part = html.split('id="report-scenarios"')[0]  # the scenarios' assumptions say which are measured
    assert "(measured" not in measured_part and "How to read the figures" in html
    assert not re.search(r"\d{4,}\.\d", text_of(html).replace("2026", "")), "a raw number on the page"


def test_the_reports_page_in_french_writes_the_summary_in_french(company: Company) -> None:
    c = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), company.team.member)
    html = c.get(reverse("web:reports"), {"month": "2026-10"}).content.decode()
    assert _sections(html)[0] == "report-summary"
    summary = html.split('id="report-summary"')[1].split("</section>")[0]
    words = text_of(summary)
    assert "Synthèse" in words and "Pipeline apporté par les recommandations" in words
    assert "Les actions qui comptent" in words and "Recommandations à célébrer" in words
    assert "Exclues de tous les montants faute de taux de change : 76 opportunités" in words
    amounts = re.findall(r"\d[\d\u00a0]*\u00a0EUR", summary)
    assert amounts and all(re.fullmatch(r"\d{1,3}(?:\u00a0\d{3})*\u00a0EUR", a) for a in amounts)
    assert not re.search(r"EUR \d|\d,\d{3}", summary), "English number style on a French page"
    assert re.search(rf"\d{{1,3}}{NBSP}\d{{3}}{NBSP}EUR", summary), "a grouped amount"


def test_the_review_page_and_its_export_open_with_the_summary(
    client: Client, company: Company, cli: Callable[..., Result], tmp_path: Path
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "date,currency,rate\n"
        + "".join(
            f"20{y:02d}-{m:02d}-{d:02d},{c},{r}\n"
            for y in range(21, 27)
            for m in range(1, 13)
            for d in range(1, 29)
            for c, r in (("USD", "1.1"), ("GBP", "0.85"), ("CAD", "1.5"))
        ),
        encoding="utf-8",
    )
    assert cli("fx", "import", str(rates)).exit_code == 0
    c = logged_in(client, company.team.manager)
    assert c.post(reverse("web:freeze"), {"month": "2026-10", "decisions": "Go"}).status_code == 302
    page = c.get(reverse("web:review", args=["2026-10"])).content.decode()
    assert _sections(page)[0] == "report-summary"
    assert "76 opportunities recorded in other currencies were converted" in text_of(page)
    assert "Left out of every amount" not in page
    exported = c.get(reverse("web:review_export", args=["2026-10", "html"])).content.decode()
    assert re.findall(r'<section[^>]* id="(\w+)"', exported)[0] == "summary"


def test_a_due_review_is_a_notice_pointing_at_the_form_not_an_error_with_a_command(
    client: Client, company: Company
) -> None:
    c = logged_in(client, company.team.manager)
    reviews = c.get(reverse("web:reviews")).content.decode()
    staleness = reviews.split('id="review-staleness"')[1].split("</p>")[0]
    assert "No monthly review has been frozen yet: freeze one on the Monthly reviews page." in staleness
    assert 'class="notice"' in reviews.split('id="review-staleness"')[0][-40:]
    assert 'id="freeze-form"' in reviews
    report = c.get(reverse("web:reports"), {"month": "2026-10"}).content.decode()
    top = report.split('id="report-summary"')[0]
    assert "referly review" not in top and "the Monthly reviews page freezes one" in top
    assert reverse("web:reviews") + "#freeze-title" in top


def test_the_review_page_says_in_french_that_no_review_is_frozen(company: Company) -> None:
    c = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), company.team.manager)
    reviews = c.get(reverse("web:reviews")).content.decode()
    staleness = reviews.split('id="review-staleness"')[1].split("</p>")[0]
    assert "Aucune revue mensuelle n’a encore été figée : figez-en une sur la page Revues mensuelles." in staleness
    report = c.get(reverse("web:reports"), {"month": "2026-10"}).content.decode()
    assert "Calculé en direct le" in report and "la page Revues mensuelles permet d’en figer une" in report
