"""`referly fx import FILE` and `referly fx list`: the exchange rates reports convert amounts with."""

from __future__ import annotations

import json
from pathlib import Path

import click

from referly.terminal import console, database_option


@click.group()
def fx() -> None:
    """Exchange rates (units of a currency for 1 euro, as the ECB publishes them)."""


@fx.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was imported as JSON.")
@database_option
def import_rates(file: Path, as_json: bool) -> None:
    """Import the ECB's eurofxref.csv or eurofxref-hist.csv, or a date,currency,rate file; again is harmless."""
    from django.db import transaction
    from django.utils import timezone

    from referly.database import open_database
    from referly.errors import Unavailable
    from referly.reports.exchange_rates import store_rates
    from referly.reports.fx import read_rates

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise Unavailable(f"Cannot read {file}: {reason}", field="FILE") from None
    found = read_rates(text, file.name)
    open_database()
    with transaction.atomic():
        stored = store_rates(found, timezone.now())
    dates = found.dates
    outcome = {
        "file": str(file),
        "shape": found.shape,
        "rates": len(found.rates),
        "added": stored.added,
        "changed": stored.changed,
        "unchanged": stored.unchanged,
        "first_date": dates[0].isoformat(),
        "last_date": dates[-1].isoformat(),
        "dates": len(dates),
        "currencies": found.currencies,
        "gaps": [
            {"currency": g.currency, "days": g.days, "runs": [[a.isoformat(), b.isoformat()] for a, b in g.runs]}
            for g in found.gaps
        ],
    }
    if as_json:
        click.echo(json.dumps(outcome, indent=2, ensure_ascii=False))
        return
    console.print(
        f"Imported {len(found.rates):,} rates from {file.name} ({found.shape}): {len(found.currencies)} currencies, "
        f"{len(dates):,} dates from {dates[0]} to {dates[-1]}; {stored.added:,} added, {stored.changed:,} changed, "
        f"{stored.unchanged:,} already stored.",
        highlight=False,
        markup=False,
    )
    if found.gaps:
        console.print(f"Missing rates ({len(found.gaps)} currencies have gaps):", highlight=False)
        for gap in found.gaps:
            console.print(f"  {gap.sentence()}", highlight=False, markup=False)


@fx.command("list")
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_rates(as_json: bool) -> None:
    """The stored rates: per currency, how many and from which day to which."""
    from referly.database import open_database
    from referly.reports.exchange_rates import base_currency, stored_summary

    open_database()
    rows = stored_summary()
    if as_json:
        click.echo(json.dumps({"base": base_currency(), "currencies": rows}, indent=2))
        return
    if not rows:
        console.print("No exchange rate is stored: referly fx import eurofxref-hist.csv", highlight=False)
        return
    console.print(f"Report amounts are in {base_currency()} (REFERLY_BASE_CURRENCY).", highlight=False)
    for r in rows:
        console.print(f"  {r['currency']}: {r['rates']:,} rates, {r['first']} to {r['last']}", highlight=False)
