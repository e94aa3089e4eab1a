"""While the database is out of reach a request gets 503 and when to try again, not a bare 500."""

from __future__ import annotations

import json

from django.db import IntegrityError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from referly.web.unavailable import server_error

LOST = "terminating connection due to administrator command"


def _answer(path: str, exc: Exception) -> HttpResponse:
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:  # Django calls the handler while the exception is being handled
        return server_error(request)


def test_a_page_met_by_a_lost_database_says_so_with_retry_after_and_names_no_host() -> None:
    answer = _answer("/referrals/", OperationalError(LOST))
    assert answer.status_code == 503 and answer["Retry-After"] == "10"
    page = answer.content.decode()
    assert "The database is not answering" in page and "nothing of this request was kept" in page
    assert "127.0.0.1" not in page and "postgres" not in page.lower()


def test_the_api_answers_in_its_error_shape() -> None:
    answer = _answer("/api/v1/accounts", OperationalError("database or disk is full"))
    assert answer.status_code == 503 and answer["Retry-After"] == "10"
    assert json.loads(answer.content)["code"] == "database_unavailable"


def test_a_bug_is_still_a_500() -> None:
    assert _answer("/referrals/", IntegrityError("UNIQUE constraint failed")).status_code == 500
    assert _answer("/referrals/", KeyError("x")).status_code == 500


def test_the_page_speaks_french_to_a_french_reader() -> None:
    with translation.override("fr"):
        page = _answer("/referrals/", OperationalError(LOST)).content.decode()
    assert "La base de données ne répond pas" in page
