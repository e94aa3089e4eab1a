"""Cell converters: any text in, a typed value or a reason out, never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.ingest import values as v

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CONVERTERS = {
    "integer": v.integer,
    "decimal": v.decimal,
    "fraction": v.fraction,
    "boolean": v.boolean,
    "email": v.email,
    "domain": v.domain,
    "country": v.country,
    "day": lambda raw: v.day(raw, None, NOW),
    "day in a format": lambda raw: v.day(raw, "%d/%m/%Y", NOW),
    "epoch": lambda raw: v.moment(raw, "epoch", NOW),
    "choice": lambda raw: v.choice(raw, ("won", "lost"), "stage"),
}


@pytest.mark.parametrize("name", sorted(CONVERTERS))
@given(raw=st.one_of(st.text(), st.integers(), st.floats(), st.none()))
def test_any_cell_gives_a_value_or_a_reason(name: str, raw: object) -> None:
    try:
        CONVERTERS[name](raw)
    except v.BadValue as exc:
        assert str(exc), "a refusal always says why"  # noqa: PT017


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_numbers_survive_the_way_exports_write_them(number: Decimal) -> None:
    assert v.decimal(str(number)) == number
    assert v.decimal(f"${number:,}") == number


def test_dates_in_the_future_and_before_1900_are_refused_but_forecasts_may_be_ahead() -> None:
    with pytest.raises(v.BadValue, match="in the future"):
        v.day("2027-06-01", None, NOW)
    with pytest.raises(v.BadValue, match="before 1900"):
        v.day("1850-01-01", None, NOW)
    assert v.day("2027-06-01", None, NOW, future=True) == date(2027, 6, 1)
    assert v.day("31/12/2025", "%d/%m/%Y", NOW) == date(2025, 12, 31)


def test_countries_by_name_code_or_common_alias() -> None:
    assert [v.country(x) for x in ("France", "fr", "FRA", "United Kingdom", "UK", "Deutschland")] == [
        "FR",
        "FR",
        "FR",
        "GB",
        "GB",
        "DE",
    ]


def test_text_with_a_nul_character_is_refused_with_a_reason() -> None:
    with pytest.raises(v.BadValue, match="NUL"):
        v.text("Acme\x00 Corp")
    assert v.text("  Acme Corp ") == "Acme Corp"


def test_year_zero_is_not_a_month() -> None:
    from referly.errors import InvalidInput
    from referly.reports.scope import parse_month

    for month in ("0000-01", "0001-01", "1899-12"):  # a month's figures reach a year back: from 1900
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            parse_month(month)
