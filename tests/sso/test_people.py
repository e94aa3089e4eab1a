"""Who a provider's claims make a login, and with which role, without the provider in the way."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.contrib.auth.models import User

from referly.access.roles import Role
from referly.access.services import change_role, create_user, role_of
from referly.crm.models import Teammate
from referly.sso.options import SignOnOptions
from referly.sso.refusals import Refused
from referly.sso.services import sign_in, verified_email
from tests.factories import make_teammate

OPTIONS = SignOnOptions(
    issuer="https://login.northbeam.example",
    client_id="referly",
    client_secret="secret",
    scopes="openid email profile",
    name="Northbeam ID",
    role_claim="groups",
    roles={"sales": Role.MEMBER, "referly-admins": Role.ADMIN},
    default_role=None,
    verified_claim="email_verified",
    clock_skew=60,
)


def test_only_a_verified_email_is_taken() -> None:
    assert verified_email({"email": " Ann@Northbeam.example ", "email_verified": True}) == "ann@northbeam.example"
    assert verified_email({"email": "ann@northbeam.example", "email_verified": "true"}) == "ann@northbeam.example"
    for claims in (
        {"email": "a@b.example"},
        {"email": "a@b.example", "email_verified": False},
        {"email": "a@b.example", "email_verified": "yes"},
    ):
        with pytest.raises(Refused) as refused:
            verified_email(claims)
        assert refused.value.code == "unverified_email"
    with pytest.raises(Refused) as refused:
        verified_email({"email_verified": True})
    assert refused.value.code == "no_email"


def test_the_verified_claim_can_be_another_one() -> None:
    claims = {"email": "ann@northbeam.example", "xms_edov": True}
    assert verified_email(claims, "xms_edov") == "ann@northbeam.example"


@pytest.mark.django_db
def test_a_namesake_teammate_is_never_taken_for_the_person() -> None:
    make_teammate("Ann Lee", email=None)  # imported by name only: not proof that this is the same Ann
    user = sign_in(
        {"email": "ann@northbeam.example", "email_verified": True, "name": "Ann Lee", "groups": ["sales"]}, OPTIONS
    )
    mine = Teammate.objects.get(user=user)
    assert mine.email == "ann@northbeam.example" and mine.name == "Ann Lee (ann@northbeam.example)"
    assert Teammate.objects.filter(name="Ann Lee", user__isnull=True).exists()


@pytest.mark.django_db
def test_a_login_prepared_before_its_teammate_was_imported_is_linked_at_sign_in() -> None:
    user, _password = create_user("kim@northbeam.example", "member", name="Kim Prepared")
    Teammate.objects.filter(user=user).update(user=None, email=None)
    kim = make_teammate("Kim Park", email="kim@northbeam.example")
    sign_in({"email": "kim@northbeam.example", "email_verified": True, "groups": ["sales"]}, OPTIONS)
    kim.refresh_from_db()
    assert kim.user_id == user.pk


@pytest.mark.django_db
def test_without_any_role_claim_roles_stay_in_referly() -> None:
    google = replace(OPTIONS, default_role=Role.VIEWER)
    claims = {"email": "lee@northbeam.example", "email_verified": True}  # no groups claim at all
    user = sign_in(claims, google)
    assert role_of(user) is Role.VIEWER
    create_user("boss@northbeam.example", "admin")  # so that Lee may be made admin and stay so
    change_role(user.pk, "admin")
    sign_in(claims, google)
    assert role_of(User.objects.get(pk=user.pk)) is Role.ADMIN  # not undone by the next sign-in
    with pytest.raises(Refused) as refused:
        sign_in({"email": "new@northbeam.example", "email_verified": True}, OPTIONS)  # no default role
    assert refused.value.code == "no_role"


@pytest.mark.django_db
def test_the_only_admin_is_not_demoted_by_a_sign_in() -> None:
    user = sign_in({"email": "ada@northbeam.example", "email_verified": True, "groups": ["referly-admins"]}, OPTIONS)
    assert role_of(user) is Role.ADMIN
    with pytest.raises(Refused) as refused:
        sign_in({"email": "ada@northbeam.example", "email_verified": True, "groups": ["sales"]}, OPTIONS)
    assert refused.value.code == "conflict" and "only admin" in refused.value.message
