"""A sentence that ends on a name ending in a full stop ends with one full stop."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.crm.models import Connection
from referly.kit.text import one_stop
from referly.portal.queries import reason
from tests.factories import make_account, make_contact


def test_a_doubled_stop_is_made_single_and_an_ellipsis_is_kept() -> None:
    assert one_stop("You know Ana, at Acme S.A..") == "You know Ana, at Acme S.A."
    assert one_stop("You know Ana, at Acme Ltd.") == "You know Ana, at Acme Ltd."
    assert one_stop("And so on...") == "And so on..."


@given(st.text(alphabet="ab .", max_size=20))
def test_only_the_final_doubled_stop_changes(text: str) -> None:
    made = one_stop(text)
    assert made == text or (text.endswith("..") and not text.endswith("...") and made == text[:-1])
    assert not (made.endswith("..") and not made.endswith("..."))


@pytest.mark.django_db
def test_the_sponsor_page_says_where_they_know_someone_with_one_full_stop() -> None:
    sponsor = make_contact(make_account("Northwind"), first_name="Jane", last_name="Doe")
    target = make_account("Acme S.A.")
    person = make_contact(target, first_name="Luc", last_name="Martin")
    Connection.objects.create(from_contact=sponsor, to_contact=person, kind="declared", confidence=0.9)
    assert reason(sponsor, person, target.name, "en") == "You know Luc Martin, at Acme S.A."
    assert reason(sponsor, person, target.name, "fr") == "Vous connaissez Luc Martin, chez Acme S.A."
