"""The role a person's groups give, and the mapping setting it comes from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.access.roles import Role
from referly.errors import Unavailable
from referly.sso.groups import RANK, claim_value, groups_in, parse_mapping, parse_role, role_for

names = st.text(alphabet=st.characters(blacklist_characters=",=", blacklist_categories=("Cs", "Cc")), min_size=1)
group_names = names.map(str.strip).filter(bool)


def test_the_mapping_reads_pairs_and_the_highest_role_wins() -> None:
    mapping = parse_mapping(" referly-admins=admin, sales-leads = manager,sales=member,, ")
    assert mapping == {"referly-admins": Role.ADMIN, "sales-leads": Role.MANAGER, "sales": Role.MEMBER}
    assert role_for(["sales", "sales-leads"], mapping, None) is Role.MANAGER
    assert role_for(["finance"], mapping, None) is None
    assert role_for(["finance"], mapping, Role.VIEWER) is Role.VIEWER


def test_a_group_name_may_hold_an_equals_sign() -> None:
    assert parse_mapping("team=a=member") == {"team=a": Role.MEMBER}


@pytest.mark.parametrize("text", ["sales", "=admin", "sales=owner", "sales=", "admins=admin,oops"])
def test_a_wrong_mapping_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(Unavailable, match="REFERLY_OIDC_ROLES"):
        parse_mapping(text)


def test_the_default_role_is_a_role_or_nothing() -> None:
    assert parse_role("") is None
    assert parse_role(" Viewer ") is Role.VIEWER
    with pytest.raises(Unavailable, match="REFERLY_OIDC_DEFAULT_ROLE"):
        parse_role("guest")


def test_the_claim_is_found_by_name_or_by_dotted_path() -> None:
    claims = {"groups": ["a"], "realm_access": {"roles": ["b"]}, "realm_access.roles": None}
    assert claim_value(claims, "groups") == ["a"]
    assert claim_value({"realm_access": {"roles": ["b"]}}, "realm_access.roles") == ["b"]
    assert claim_value(claims, "missing.path") is None
    assert groups_in("sales") == ["sales"]
    assert groups_in(["sales", 3, " ", "leads "]) == ["sales", "leads"]
    assert groups_in({"sales": True}) == [] and groups_in(None) == []


@given(st.dictionaries(group_names, st.sampled_from(list(Role)), max_size=6))
def test_any_mapping_written_out_reads_back_the_same(mapping: dict[str, Role]) -> None:
    text = ",".join(f"{group}={role.value}" for group, role in mapping.items())
    assert parse_mapping(text) == mapping


@given(
    st.dictionaries(group_names, st.sampled_from(list(Role)), max_size=6),
    st.lists(group_names, max_size=6),
    st.none() | st.sampled_from(list(Role)),
)
def test_the_role_is_the_highest_mapped_one_or_the_default(
    mapping: dict[str, Role], groups: list[str], default: Role | None
) -> None:
    role = role_for(groups, mapping, default)
    mapped = [mapping[g] for g in groups if g in mapping]
    if not mapped:
        assert role is default
    else:
        assert role in mapped and all(RANK.index(role) >= RANK.index(r) for r in mapped)  # type: ignore[arg-type]
