"""The demo company comes with synthetic exchange rates: once `referly demo` has stored them, its pack converts every
deal in USD, GBP and CAD and leaves nothing out for want of a rate."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from referly.demo import import_demo_rates
from referly.ingest.demo import DemoContext, volumes_for
from referly.ingest.demo.rates import CURRENCIES, FILE_NAME, demo_rates, demo_rates_csv, write_demo_rates
from tests.conftest import RunCli

UNTIL = date(2026, 11, 1)
Cli = Callable[..., Result]


def context(seed: int) -> DemoContext:
    return DemoContext(volumes_for("tiny"), seed, UNTIL)


def test_the_rates_are_the_same_for_a_seed_and_near_real_ones_on_working_days() -> None:
    assert demo_rates_csv(context(3)) == demo_rates_csv(context(3))
    assert demo_rates_csv(context(3)) != demo_rates_csv(context(4))
    rates = demo_rates(context(3))
    assert all(day.weekday() < 5 and (day.month, day.day) != (12, 25) for day, _, _ in rates)
    for currency in CURRENCIES:
        values = [float(r) for _, code, r in rates if code == currency.code]
        assert all(0.85 * currency.level < v < 1.15 * currency.level for v in values), currency.code
        days = sorted(day for day, code, _ in rates if code == currency.code)
        assert max((b - a).days for a, b in itertools.pairwise(days)) <= 5  # a long weekend at most
    assert demo_rates_csv(context(3)).startswith("date,currency,rate\n")


@pytest.mark.django_db
def test_after_the_demo_stores_its_rates_the_pack_leaves_nothing_out(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", UNTIL.isoformat()).exit_code == 0
    found = import_demo_rates("tiny", 3, UNTIL)
    assert found.currencies == ["CAD", "GBP", "USD"]

    out = tmp_path / "pack.json"
    assert cli("report", "--month", "2026-10", "--format", "json", "--out", str(out)).exit_code == 0
    fx = json.loads(out.read_text(encoding="utf-8"))["fx"]
    assert fx["missing"] == {}
    assert set(fx["converted"]) == {"CAD", "GBP", "USD"}
    md = cli("report", "--month", "2026-10", "--format", "md").output
    assert "Left out of every amount" not in md

    from referly.crm.models import Opportunity
    from referly.reports.exchange_rates import rate_book

    book = rate_book({"CAD", "GBP", "USD"}, UNTIL)
    deals = Opportunity.objects.exclude(currency="EUR").values_list("currency", "created_on", "closed_on")
    unconverted = [d for d in deals if book.convert(1.0, d[0], d[2] or d[1], "EUR") is None]
    assert deals and not unconverted, unconverted[:5]  # every deal of the company's whole history, not one month's

    from referly.reports.models import ExchangeRate

    stored = sorted(ExchangeRate.objects.values_list("day", "currency", "rate"))
    import_demo_rates("tiny", 3, UNTIL)  # the same rates again: nothing changes
    assert (
        sorted(ExchangeRate.objects.values_list("day", "currency", "rate"))
        == stored
        == sorted((r.day, r.currency, r.rate) for r in found.rates)
    )


@pytest.mark.django_db
def test_the_written_rates_file_is_what_referly_fx_import_reads(cli: Cli, tmp_path: Path) -> None:
    written = write_demo_rates(context(3), tmp_path)
    imported = cli("fx", "import", str(tmp_path / FILE_NAME), "--json")
    assert imported.exit_code == 0, imported.output
    outcome = json.loads(imported.output)
    assert outcome["shape"] == "plain" and outcome["added"] == written and outcome["gaps"] == []


def test_referly_demo_says_its_rates_are_synthetic_and_its_pack_leaves_nothing_out(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path
) -> None:
    where = ["--db", scratch_database["REFERLY_DB"]] if "REFERLY_DB" in scratch_database else []
    built = run_referly("demo", "--scale", "tiny", "--no-serve", *where, env=scratch_database)
    assert built.returncode == 0, built.stderr
    said = " ".join(built.stdout.split())  # the terminal wraps long lines
    assert "synthetic rates of the demo company (CAD, GBP, USD per euro" in said and "not the ECB's" in said
    out = tmp_path / "pack.json"
    report = run_referly("report", "--format", "json", "--out", str(out), *where, env=scratch_database)
    assert report.returncode == 0, report.stderr
    fx = json.loads(out.read_text(encoding="utf-8"))["fx"]
    assert fx["missing"] == {} and sum(fx["converted"].values()) > 0
