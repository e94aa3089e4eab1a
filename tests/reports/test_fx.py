"""Exchange rates: the ECB's files and a plain one read whole, stored once, and used to convert report amounts.

The ECB samples below follow the layout of the reference-rate files the ECB publishes at
https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip (eurofxref.csv: one day, "Date, USD, JPY, ..." with a
space after each comma and a trailing comma) and eurofxref-hist.zip (eurofxref-hist.csv: one row per working day,
ISO dates, "N/A" where a currency had no rate, a trailing comma), with the rates of 3-5 January 2024 as published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from referly.errors import InvalidInput
from referly.reports.fx import RateBook, read_rates
from referly.reports.models import ExchangeRate

Cli = Callable[..., Result]

ECB_DAILY = (
    "Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, CHF, ISK, NOK, TRY, AUD, BRL, CAD, CNY, HKD, IDR, ILS, "
    "INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n"
    "04 January 2024, 1.0953, 158.35, 1.9558, 24.599, 7.4571, 0.86320, 379.55, 4.3583, 4.9715, 11.2360, 0.9304, "
    "150.70, 11.3830, 32.6208, 1.6271, 5.3813, 1.4623, 7.8361, 8.5556, 16974.71, 4.0031, 91.1365, 1431.20, "
    "18.6830, 5.0714, 1.7523, 60.862, 1.4493, 37.688, 20.4918, \n"
)
ECB_HISTORY = (
    "Date,USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,CAD,\n"
    "2024-01-05,1.0921,158.19,1.9558,N/A,24.618,7.4566,N/A,0.86130,1.4607,\n"
    "2024-01-04,1.0953,158.35,1.9558,N/A,24.599,7.4571,N/A,0.86320,1.4623,\n"
    "2024-01-03,1.0919,155.86,1.9558,N/A,24.633,7.4563,N/A,0.86508,N/A,\n"
)


def test_the_ecb_daily_file_is_read_with_its_spaces_and_trailing_comma() -> None:
    found = read_rates(ECB_DAILY, "eurofxref.csv")
    assert found.shape == "ecb-daily" and found.dates == [date(2024, 1, 4)]
    assert len(found.currencies) == 30 and found.gaps == ()
    rates = {r.currency: r.rate for r in found.rates}
    assert (
        rates["USD"] == Decimal("1.0953") and rates["GBP"] == Decimal("0.86320") and rates["ZAR"] == Decimal("20.4918")
    )


def test_the_ecb_history_says_which_dates_and_currencies_have_no_rate() -> None:
    found = read_rates(ECB_HISTORY, "eurofxref-hist.csv")
    assert found.shape == "ecb-history"
    assert found.dates == [date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 5)]
    assert "CYP" not in found.currencies and len(found.rates) == 7 * 3 - 1
    gaps = {g.currency: g for g in found.gaps}
    assert set(gaps) == {"CAD", "CYP", "EEK"}
    assert gaps["CAD"].runs == ((date(2024, 1, 3), date(2024, 1, 3)),)
    assert gaps["CYP"].sentence() == "CYP: no rate on 3 of the file's dates (2024-01-03 to 2024-01-05)"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Date,USD,\n2024-01-04,1.09,\n2024-13-01,1.08,\n", "x.csv, line 3, Date: '2024-13-01' is not a date"),
        ("Date,USD,\n2024-01-04,abc,\n", "x.csv, line 2, USD: 'abc' is not a number"),
        ("Date,USD,\n2024-01-04,-1,\n", "x.csv, line 2, USD: '-1' is not a positive rate"),
        ("Date,US,\n2024-01-04,1.1,\n", "x.csv, line 1, column 2: 'US' is not a three-letter currency code"),
        ("date,currency,rate\n2024-01-04,USD,1.1\n2024-01-04,USD,1.2\n", "line 3, rate: USD on 2024-01-04 is also"),
        ("date,currency,rate\n2024-01-04,USD\n", "line 2, rate: 2 fields where date,currency,rate are 3"),
        ("name,amount\nx,1\n", "x.csv is not a rates file"),
        ("", "x.csv is empty"),
    ],
)
def test_a_bad_file_names_the_line_the_field_and_the_reason(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_rates(text, "x.csv")
    assert words in caught.value.sentence


RATES = st.dictionaries(
    st.tuples(
        st.dates(date(1999, 1, 4), date(2030, 12, 31)),
        st.sampled_from(["USD", "GBP", "CAD", "JPY", "CHF"]),
    ),
    st.decimals(Decimal("0.00000001"), Decimal("99999"), places=5),
    min_size=1,
    max_size=40,
)


@given(RATES, st.booleans())
def test_a_plain_file_reads_back_every_rate_it_holds(rates: dict[tuple[date, str], Decimal], lower: bool) -> None:
    lines = ["date,currency,rate"] + [f"{d}, {c.lower() if lower else c} ,{r}" for (d, c), r in rates.items()]
    found = read_rates("\n".join(lines) + "\n", "rates.csv")
    assert {(r.day, r.currency): r.rate for r in found.rates} == rates
    days = found.dates
    for gap in found.gaps:  # every gap is a file date the currency has no rate on
        for first, last in gap.runs:
            assert first in days and last in days and (first, gap.currency) not in rates
    assert sum(g.days for g in found.gaps) == len(days) * len(found.currencies) - len(rates)


def test_a_day_without_a_rate_takes_the_latest_up_to_seven_days_before() -> None:
    book = RateBook.of(
        [(date(2024, 1, 5), "USD", 1.10), (date(2024, 1, 8), "USD", 1.20), (date(2024, 1, 5), "GBP", 0.8)]
    )
    assert book.rate("USD", date(2024, 1, 7)) == 1.10  # the weekend reads Friday's rate
    assert book.rate("USD", date(2024, 1, 8)) == 1.20
    assert book.rate("USD", date(2024, 1, 4)) is None  # nothing earlier
    assert book.rate("USD", date(2024, 1, 16)) is None  # 8 days after the last rate: too old
    assert book.convert(110.0, "USD", date(2024, 1, 6), "EUR") == pytest.approx(100.0)
    assert book.convert(100.0, "EUR", date(2024, 1, 6), "USD") == pytest.approx(110.0)
    assert book.convert(110.0, "USD", date(2024, 1, 6), "GBP") == pytest.approx(80.0)  # a cross rate via the euro
    assert book.convert(5.0, "JPY", date(2024, 1, 6), "EUR") is None


@pytest.mark.django_db
def test_importing_twice_stores_each_rate_once(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "eurofxref-hist.csv"
    file.write_text(ECB_HISTORY, encoding="utf-8")
    first = cli("fx", "import", str(file))
    assert first.exit_code == 0, first.output
    assert "Imported 20 rates from eurofxref-hist.csv (ecb-history)" in first.output and "20 added" in first.output
    assert "CAD: no rate on 1 of the file's dates (2024-01-03)" in first.output
    again = cli("fx", "import", str(file), "--json")
    outcome = json.loads(again.output)
    assert (outcome["added"], outcome["changed"], outcome["unchanged"]) == (0, 0, 20)
    assert [g["currency"] for g in outcome["gaps"]] == ["CAD", "CYP", "EEK"]
    assert ExchangeRate.objects.count() == 20
    assert ExchangeRate.objects.get(day=date(2024, 1, 4), currency="GBP").rate == Decimal("0.86320")
    fixed = tmp_path / "fix.csv"
    fixed.write_text("date,currency,rate\n2024-01-04,GBP,0.8633\n", encoding="utf-8")
    changed = json.loads(cli("fx", "import", str(fixed), "--json").output)
    assert (changed["added"], changed["changed"]) == (0, 1)


@pytest.mark.django_db
def test_a_bad_file_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "rates.csv"
    file.write_text("date,currency,rate\n2024-01-04,USD,1.09\n2024-01-05,USD,one\n", encoding="utf-8")
    result = cli("fx", "import", str(file))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "rates.csv cannot be imported: 1 problem(s), nothing was written" in result.output
    assert "rates.csv, line 3, rate: 'one' is not a number" in result.output
    assert not ExchangeRate.objects.exists()
    missing = cli("fx", "import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 6 and "Cannot read" in missing.output


def demo_rates(first: date, last: date) -> str:
    """Rates for every working day of the demo's years: deterministic, so the converted amounts are known."""
    lines = ["date,currency,rate"]
    day = first
    while day <= last:
        if day.weekday() < 5:
            lines += [f"{day},USD,1.10", f"{day},GBP,0.85", f"{day},CAD,1.50"]
        day += timedelta(days=1)
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_the_demo_pack_converts_cad_gbp_and_usd_once_rates_are_imported(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0

    def pack() -> dict[str, object]:
        out = tmp_path / "pack.json"
        assert cli("report", "--month", "2026-10", "--format", "json", "--out", str(out)).exit_code == 0
        found: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
        return found

    def won_amount(found: dict[str, object]) -> float:
        rows = found["metrics"]["deal_size_by_source"]["rows"]  # type: ignore[index]
        return float(next(r for r in rows if r["key"] == "all other sources")["cells"]["amount"]["value"])

    before = pack()
    assert before["currency"] == "EUR"
    assert before["fx"] == {
        "base": "EUR",
        "converted": {},
        "missing": {"CAD": 3, "GBP": 15, "USD": 58},
        "lookback_days": 7,
    }
    md = cli("report", "--month", "2026-10", "--format", "md")
    assert (
        "Left out of every amount for want of an exchange rate: 76 opportunities (3 in CAD, 15 in GBP, 58 in USD). "
        "They still count in counts and rates. Add the rates with: referly fx import eurofxref-hist.csv"
    ) in md.output

    rates = tmp_path / "rates.csv"
    rates.write_text(demo_rates(date(2021, 1, 1), date(2026, 11, 1)), encoding="utf-8")
    assert cli("fx", "import", str(rates)).exit_code == 0
    after = pack()
    assert after["fx"]["converted"] == {"CAD": 3, "GBP": 15, "USD": 58}  # type: ignore[index]
    assert after["fx"]["missing"] == {}  # type: ignore[index]
    assert won_amount(after) > won_amount(before)
    md = cli("report", "--month", "2026-10", "--format", "md").output
    assert "76 opportunities recorded in other currencies (3 in CAD, 15 in GBP, 58 in USD) were converted" in md
    assert "Left out of every amount" not in md


@pytest.mark.django_db
def test_another_base_currency_converts_through_the_euro(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referly.reports.queries import load_records
    from tests.reports.builders import SCOPE, Book

    book = Book()
    book.deal("inbound", "2026-03-02", amount=1000)  # EUR
    book.deal("inbound", "2026-03-03", amount=850, currency="GBP")
    book.deal("inbound", "2026-03-04", amount=500, currency="CHF")  # no CHF rate
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate\n2026-02-27,USD,1.10\n2026-02-27,GBP,0.85\n", encoding="utf-8")
    assert cli("fx", "import", str(rates)).exit_code == 0
    monkeypatch.setenv("REFERLY_BASE_CURRENCY", "usd")
    records = load_records(SCOPE)
    amounts = sorted(d.amount for d in records.deals if d.amount is not None)
    assert records.currency == "USD" and amounts == [pytest.approx(1100.0), pytest.approx(1100.0)]
    assert records.conversion.converted == {"EUR": 1, "GBP": 1} and records.conversion.missing == {"CHF": 1}
