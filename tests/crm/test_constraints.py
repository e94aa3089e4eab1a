"""The data protects itself: refused values come back as clear errors and nothing is written.

Each rule is checked twice: through the validated write path (what forms, the API and imports
use) and straight against the database (what a bulk load or a bug would hit).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from referly.crm.models import Account, Contact, Interaction, Opportunity, Signal, Teammate
from referly.errors import InvalidInput
from tests.factories import make_account, make_contact, make_opportunity

pytestmark = pytest.mark.django_db


def test_a_contact_email_is_unique_whatever_its_case() -> None:
    account = make_account()
    make_contact(account, email="Jane.Doe@Acme.example")
    with pytest.raises(InvalidInput, match=r"email 'jane.doe@acme.example'.*already exists"):
        make_contact(account, email="  JANE.DOE@acme.example ")
    assert Contact.objects.filter(email="jane.doe@acme.example").count() == 1


def test_the_database_refuses_a_duplicate_or_mixed_case_email() -> None:
    contact = make_contact()
    duplicate = Contact(account=contact.account, email=contact.email)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.bulk_create([duplicate])
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.bulk_create([Contact(account=contact.account, email="Upper@Case.example")])
    assert Contact.objects.count() == 1


def test_a_negative_amount_is_refused_and_nothing_is_written() -> None:
    account = make_account()
    with pytest.raises(InvalidInput, match="amount must not be negative"):
        make_opportunity(account, amount=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create(
            [Opportunity(account=account, name="x", amount=Decimal("-5"), created_on="2026-01-01")]
        )
    assert not Opportunity.objects.exists()


def test_an_unknown_stage_is_refused_with_the_allowed_values() -> None:
    account = make_account()
    with pytest.raises(InvalidInput, match=r"stage 'signed'.*not a valid choice"):
        make_opportunity(account, stage="signed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create(
            [Opportunity(account=account, name="x", stage="signed", created_on="2026-01-01")]
        )
    assert not Opportunity.objects.exists()


def test_one_bad_row_in_a_batch_writes_none_of_the_batch() -> None:
    account = make_account()
    batch = [
        Opportunity(account=account, name=f"deal {i}", amount=Decimal(i), created_on="2026-01-01") for i in range(5)
    ]
    batch[3].amount = Decimal("-3")
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.bulk_create(batch)
    assert Opportunity.objects.count() == 0


def test_an_nps_answer_must_be_between_0_and_10() -> None:
    account = make_account()
    with pytest.raises(IntegrityError), transaction.atomic():
        Signal.objects.bulk_create([Signal(account=account, kind="nps", nps_score=11, occurred_on="2026-01-01")])
    with pytest.raises(IntegrityError), transaction.atomic():
        Signal.objects.bulk_create([Signal(account=account, kind="renewal", nps_score=5, occurred_on="2026-01-01")])
    assert not Signal.objects.exists()


def test_external_ids_are_unique_per_source_system() -> None:
    make_account("Acme", source_system="hubspot", external_id="42")
    make_account("Acme Twin", source_system="salesforce", external_id="42")
    with pytest.raises(InvalidInput, match="already exists"):
        make_account("Acme Again", source_system="hubspot", external_id="42")
    make_account("No id 1")
    make_account("No id 2")
    assert Account.objects.count() == 4


def test_the_same_touch_cannot_be_logged_twice(alice: Teammate) -> None:
    contact = make_contact()
    touch = {"teammate": alice, "contact": contact, "kind": 1, "occurred_at": "2026-03-01T10:00:00Z"}
    Interaction.objects.create(**touch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(**touch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(**{**touch, "kind": 9, "occurred_at": "2026-03-02T10:00:00Z"})
    assert Interaction.objects.count() == 1


def test_account_domains_and_names_are_stored_normalised() -> None:
    account = make_account("Acme, Inc.", domain="https://www.ACME.example/about")
    assert account.domain == "acme.example"
    assert account.name_key == "acme"
