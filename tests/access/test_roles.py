"""Roles, teams and tokens as the dashboard and API see them."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from referly.access.roles import Permission, Role, Scope, allows
from referly.access.services import actor_for, create_user, revoke_token, token_actor
from referly.errors import Conflict, InvalidInput


@given(st.sampled_from(list(Role)), st.sampled_from(list(Permission)))
def test_a_read_token_never_does_more_than_read(role: Role, permission: Permission) -> None:
    if permission is not Permission.READ:
        assert not allows(role, permission, Scope.READ)
    # and a token never does more than its user's role
    assert allows(role, permission, Scope.READ) <= allows(role, permission, Scope.WRITE)


def test_each_role_grants_what_the_docs_say() -> None:
    assert all(allows(Role.ADMIN, p) for p in Permission)
    assert allows(Role.MANAGER, Permission.IMPORT) and not allows(Role.MANAGER, Permission.ADMINISTER)
    assert allows(Role.MEMBER, Permission.ACT) and not allows(Role.MEMBER, Permission.IMPORT)
    assert [p for p in Permission if allows(Role.VIEWER, p)] == [Permission.READ]


def test_a_manager_sees_their_whole_team_and_a_member_only_themselves(team: Any) -> None:
    from tests.personas import make_login

    deputy = make_login("dee.deputy@northbeam.example", "member", manager=team.member.teammate)
    maya = actor_for(team.manager.user)
    assert maya.team == {team.manager.teammate.pk, team.member.teammate.pk, deputy.teammate.pk}
    mo = actor_for(team.member.user)
    assert mo.team == {team.member.teammate.pk}
    assert mo.acts_for(team.member.teammate.pk) and not mo.acts_for(team.other.teammate.pk)
    assert actor_for(team.viewer.user).team is None and not actor_for(team.viewer.user).may(Permission.ACT)


def test_tokens_are_stored_hashed_and_stop_working_when_revoked(team: Any) -> None:
    from referly.access.models import ApiToken

    raw = team.member.token("read")
    stored = ApiToken.objects.get(user=team.member.user)
    assert raw not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    acting = token_actor(raw, timezone.now())
    assert acting is not None and acting.scope is Scope.READ and not acting.may(Permission.ACT)
    revoke_token(stored.pk, actor_for(team.member.user), timezone.now())
    assert token_actor(raw, timezone.now()) is None
    assert token_actor("rly_not-a-token", timezone.now()) is None


@pytest.mark.django_db
def test_user_creation_refuses_bad_input_and_duplicates() -> None:
    with pytest.raises(InvalidInput, match="email"):
        create_user("not-an-email", "member")
    with pytest.raises(InvalidInput, match="role"):
        create_user("a@b.example", "owner")
    with pytest.raises(InvalidInput, match="password"):
        create_user("a@b.example", "member", password="123")
    create_user("a@b.example", "member")
    with pytest.raises(Conflict):
        create_user("A@b.example", "viewer")


def test_user_commands_create_a_login_and_a_token(cli: Any, db: Any) -> None:
    created = cli("user", "create", "sam@northbeam.example", "--role", "manager", "--name", "Sam Sales")
    assert created.exit_code == 0, created.output
    assert "Password (shown once)" in created.output
    issued = cli("user", "token", "sam@northbeam.example", "--name", "crm sync", "--scope", "write")
    assert issued.exit_code == 0 and "rly_" in issued.output
    listed = cli("user", "list", "--json")
    assert '"role": "manager"' in listed.output
    refused = cli("user", "create", "sam@northbeam.example", "--role", "viewer")
    assert refused.exit_code == 4 and "already exists" in refused.output


def test_the_command_offers_exactly_the_roles() -> None:
    from referly.access.commands import ROLES

    assert tuple(r.value for r in Role) == ROLES
