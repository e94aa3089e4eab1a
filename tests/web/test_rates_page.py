"""The Exchange rates page: admins and managers see the stored rates and upload a rates file, read and stored as
`referly fx import` does; a bad file is refused whole; the Reports page links to it where rates are missing."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from referly.reports.models import ExchangeRate
from tests.personas import Team
from tests.web.conftest import Company, logged_in, text_of

pytestmark = pytest.mark.django_db

ECB_HISTORY = (
    "Date,USD,JPY,GBP,\n"
    "2024-01-05,1.0921,158.12,0.86025,\n"
    "2024-01-04,1.0953,N/A,0.86170,\n"
    "2024-01-03,1.0919,155.97,0.86265,\n"
)


def upload(client: Client, name: str, text: str) -> str:
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    answer = client.post(reverse("web:rates_upload"), {"file": file})
    assert answer.status_code in (200, 422), answer.status_code
    return answer.content.decode()


def test_a_manager_uploads_the_ecb_history_and_sees_what_was_stored(client: Client, team: Team) -> None:
    c = logged_in(client, team.manager)
    empty = text_of(c.get(reverse("web:rates")).content.decode())
    assert "No exchange rate is stored yet" in empty and "Report amounts are in EUR" in empty

    page = html.unescape(text_of(upload(c, "eurofxref-hist.csv", ECB_HISTORY)))
    assert "eurofxref-hist.csv imported" in page
    assert (
        "8 rates of GBP, JPY, USD on 3 dates from 2024-01-03 to 2024-01-05. 8 added, 0 changed, 0 already stored."
        in page
    )
    assert "JPY: no rate on 1 of the file's dates (2024-01-04)" in page
    assert ExchangeRate.objects.count() == 8
    assert "GBP 3 2024-01-03 2024-01-05" in page and "JPY 2 2024-01-03 2024-01-05" in page

    again = text_of(upload(c, "eurofxref-hist.csv", ECB_HISTORY.replace("1.0921", "1.0925")))
    assert "0 added, 1 changed, 7 already stored." in again
    assert ExchangeRate.objects.get(currency="USD", day="2024-01-05").rate == Decimal("1.0925")


def test_a_bad_file_is_refused_whole_naming_its_line_field_and_reason(client: Client, team: Team) -> None:
    c = logged_in(client, team.admin)
    bad = "date,currency,rate\n2024-01-03,USD,1.09\n2024-01-04,USD,one\n"
    answer = c.post(reverse("web:rates_upload"), {"file": SimpleUploadedFile("rates.csv", bad.encode())})
    assert answer.status_code == 422
    error = html.unescape(text_of(answer.content.decode().split('id="rates-error"')[1].split("</div>")[0]))
    assert "rates.csv cannot be imported: 1 problem(s), nothing was written" in error
    assert "rates.csv, line 3, rate: 'one' is not a number" in error
    assert ExchangeRate.objects.count() == 0  # the good line 2 was not written either

    not_rates = text_of(upload(c, "deals.csv", "name,amount\nAcme,100\n"))
    assert "deals.csv is not a rates file" in not_rates
    zipped = c.post(reverse("web:rates_upload"), {"file": SimpleUploadedFile("rates.csv", b"PK\x03\x04\xff\xfe")})
    assert zipped.status_code == 422 and "is not a text file in UTF-8" in zipped.content.decode()
    nothing = c.post(reverse("web:rates_upload"), {})
    assert nothing.status_code == 422 and "Choose a rates file to import" in nothing.content.decode()


def test_members_and_viewers_can_neither_see_nor_upload_rates(team: Team) -> None:
    for who in (team.member, team.viewer):
        c = logged_in(Client(), who)
        assert c.get(reverse("web:rates")).status_code == 403
        refused = c.post(reverse("web:rates_upload"), {"file": SimpleUploadedFile("r.csv", ECB_HISTORY.encode())})
        assert refused.status_code == 403
    assert ExchangeRate.objects.count() == 0


def test_the_page_is_in_french_with_french_numbers(team: Team) -> None:
    c = logged_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), team.admin)
    days = "".join(f"2024-01-{d:02d},USD,1.09\n2024-01-{d:02d},GBP,0.86\n" for d in range(1, 31))
    page = text_of(upload(c, "taux.csv", "date,currency,rate\n" + days * 1))
    assert "taux.csv importé" in page
    assert "60 taux de GBP, USD sur 30 dates du 2024-01-01 au 2024-01-30." in page
    assert "60 ajoutés, 0 modifiés, 0 déjà enregistrés." in page
    assert "Taux enregistrés" in page


def test_the_reports_page_links_its_missing_rates_to_the_page(company: Company) -> None:
    manager = logged_in(Client(), company.team.manager).get(reverse("web:reports"), {"month": "2026-10"})
    missing = manager.content.decode().split('id="pack-fx-missing"')[1].split("</p>")[0]
    assert f'href="{reverse("web:rates")}"' in missing and "Add exchange rates" in missing
    assert "referly fx import eurofxref-hist.csv" in missing  # beside it, for the terminal-minded
    member = logged_in(Client(), company.team.member).get(reverse("web:reports"), {"month": "2026-10"})
    told = member.content.decode().split('id="pack-fx-missing"')[1].split("</p>")[0]
    assert reverse("web:rates") not in told  # a page the member may not open is not linked
    assert "An admin or a manager adds them on the Exchange rates page" in text_of(told)
