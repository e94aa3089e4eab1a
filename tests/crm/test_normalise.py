from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from referly.crm import normalise


@given(st.text())
def test_normalising_twice_changes_nothing(value: str) -> None:
    for f in (normalise.email, normalise.domain, normalise.company_key):
        assert f(f(value)) == f(value)


@given(st.text())
def test_company_keys_are_plain_lower_case_words(value: str) -> None:
    key = normalise.company_key(value)
    assert key == key.strip()
    assert all(c.isascii() and (c.isalnum() or c == " ") for c in key)
    assert key == key.lower()


def test_spellings_of_one_company_share_a_key() -> None:
    spellings = ["Acme, Inc.", "ACME Inc", "acme", "Acme Corp.", "Acmé LLC"]
    assert {normalise.company_key(s) for s in spellings} == {"acme"}
    assert normalise.company_key("Smith & Jones Ltd") == "smith and jones"


def test_domains_lose_scheme_www_path_port_and_mailbox() -> None:
    assert normalise.domain("https://www.Acme.com:443/about?x=1") == "acme.com"
    assert normalise.domain("jane@Acme.com") == "acme.com"
    assert normalise.domain("acme.com.") == "acme.com"
