"""A login stands for a teammate: owners imported by name get their own "Mine" view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.contrib.auth.models import User

from referly.access.services import actor_for, create_user, find_teammate, link_login, set_teammate_email
from referly.cli import main
from referly.crm.models import Teammate
from referly.crm.services import add_record
from referly.errors import Conflict, InvalidInput, NotFound

pytestmark = pytest.mark.django_db


def imported(name: str) -> Teammate:
    """An owner as a CRM import makes them: a name, no e-mail."""
    return add_record(Teammate(name=name))


def run(*args: str) -> Result:
    """`referly ARGS` in this process, its failures rendered as a user sees them (message, exit code)."""
    return CliRunner().invoke(main, list(args))


def test_create_with_teammate_links_the_login_to_the_owner_imported_by_name(cli: Callable[..., Result]) -> None:
    ana = imported("Ana Lopez")
    done = cli("user", "create", "ana@ourco.example", "--role", "member", "--teammate", "ana  lopez")
    assert done.exit_code == 0, done.output
    assert "linked to the teammate Ana Lopez" in done.output
    ana.refresh_from_db()
    user = User.objects.get(username="ana@ourco.example")
    assert ana.user_id == user.pk and ana.email == "ana@ourco.example"
    assert Teammate.objects.count() == 1  # no second Ana
    assert actor_for(user).team == {ana.pk}  # her "Mine" is her own work


def test_create_with_a_teammates_email_links_to_them_automatically(cli: Callable[..., Result]) -> None:
    bo = add_record(Teammate(name="Bo Berg", email="bo@ourco.example"))
    done = cli("user", "create", "BO@ourco.example", "--role", "admin")
    assert done.exit_code == 0, done.output
    assert "linked to the teammate Bo Berg" in done.output
    bo.refresh_from_db()
    assert bo.user is not None and bo.user.username == "bo@ourco.example"
    assert Teammate.objects.count() == 1


def test_create_refuses_to_make_a_second_teammate_of_a_name_already_there(cli: Callable[..., Result]) -> None:
    imported("Ana Lopez")
    refused = run("user", "create", "ana.lopez@ourco.example", "--role", "member")
    assert refused.exit_code == 4
    assert '--teammate "Ana Lopez"' in refused.output and "Traceback" not in refused.output
    assert not User.objects.exists() and Teammate.objects.count() == 1


def test_a_new_person_becomes_a_new_teammate(cli: Callable[..., Result]) -> None:
    done = cli("user", "create", "new@ourco.example", "--role", "viewer", "--name", "Nia New")
    assert done.exit_code == 0, done.output
    assert "as the new teammate Nia New" in done.output
    assert Teammate.objects.get().user == User.objects.get()


def test_a_name_of_several_teammates_or_of_none_is_a_clear_error() -> None:
    imported("Sam Lee")
    imported("Sam Lee")
    imported("Samantha Leigh")
    several = run("user", "create", "sam@ourco.example", "--role", "member", "--teammate", "Sam Lee")
    assert several.exit_code == 4, several.output
    assert "2 teammates are named Sam Lee" in several.output and "by its e-mail" in several.output
    none = run("user", "create", "sam@ourco.example", "--role", "member", "--teammate", "Sam Le")
    assert none.exit_code == 3, none.output
    assert "No teammate is named Sam Le" in none.output and "Sam Lee" in none.output
    assert "Samantha Leigh" in none.output
    assert not User.objects.exists()


def test_link_moves_an_existing_login_to_the_right_teammate(cli: Callable[..., Result]) -> None:
    create_user("cat@ourco.example", "member", name="Cat Wrong")
    wrong = Teammate.objects.get(name="Cat Wrong")
    right = imported("Catherine Johnson")
    done = cli("user", "link", "cat@ourco.example", "--teammate", "Catherine Johnson")
    assert done.exit_code == 0, done.output
    assert "now logs in as Catherine Johnson." in done.output
    right.refresh_from_db()
    wrong.refresh_from_db()
    assert right.user is not None and wrong.user_id is None and wrong.email == "cat@ourco.example"
    # the e-mail stays with the teammate who had it; the login still finds its teammate
    assert right.email is None
    assert actor_for(right.user).teammate_id == right.pk
    by_email = run("user", "link", "cat@ourco.example", "--teammate", "cat@ourco.example")
    assert by_email.exit_code == 0, by_email.output
    assert "now logs in as Cat Wrong" in by_email.output
    assert run("user", "link", "nobody@ourco.example", "--teammate", "Cat Wrong").exit_code == 3


def test_a_teammate_with_a_login_is_not_given_a_second_one() -> None:
    ana = imported("Ana Lopez")
    create_user("ana@ourco.example", "member", teammate="Ana Lopez")
    with pytest.raises(Conflict, match="already has a login"):
        create_user("ana2@ourco.example", "member", teammate="Ana Lopez")
    other, _ = create_user("zed@ourco.example", "member")
    ana.refresh_from_db()
    with pytest.raises(Conflict, match=r"already has the login ana@ourco\.example"):
        link_login(other, ana)
    with pytest.raises(NotFound, match="No teammate is named Nobody"):
        find_teammate("Nobody")


def test_a_teammates_email_is_validated_and_unique() -> None:
    ana = imported("Ana Lopez")
    add_record(Teammate(name="Bo Berg", email="bo@ourco.example"))
    assert set_teammate_email(ana.pk, " Ana@OurCo.example ").email == "ana@ourco.example"
    with pytest.raises(InvalidInput, match="not an e-mail"):
        set_teammate_email(ana.pk, "ana at ourco")
    with pytest.raises(Conflict, match=r"Bo Berg already has the e-mail bo@ourco\.example"):
        set_teammate_email(ana.pk, "bo@ourco.example")
    assert set_teammate_email(ana.pk, "").email is None


def test_user_list_names_each_logins_teammate(cli: Callable[..., Result], db: Any) -> None:
    imported("Ana Lopez")
    create_user("ana@ourco.example", "member", teammate="Ana Lopez")
    listed = cli("user", "list", "--json")
    assert '"teammate": "Ana Lopez"' in listed.output
