"""The demo company's exchange rates: synthetic, not the ECB's, so its deals in USD, GBP and CAD can be converted.

Rates follow the ECB's convention (units of the currency for 1 euro) and publish on the ECB's working days:
Monday to Friday but 1 January, 1 May, 25 and 26 December. Each currency walks from a level near its real one
(ECB reference rates of early 2024) with a daily log-return of ``volatility`` and a pull back to that level, so
the values stay plausible over the years: ``log r(t+1) = log r(t) + pull * (log level - log r(t)) + volatility * e``.
The walk draws from the seed's own stream: the same seed gives the same rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from referly.ingest.demo.context import DemoContext

FILE_NAME = "exchange-rates.csv"
HISTORY_DAYS = 365 * 5 + 200
"""How far back the rates go: clients won up to five years ago, their first deal opened up to 150 days before."""
PULL = 0.01
CLOSED = {(1, 1), (5, 1), (12, 25), (12, 26)}  # the TARGET2 closing days that fall on weekdays


@dataclass(frozen=True)
class Currency:
    code: str
    level: float  # units for 1 euro, near the ECB's reference rate
    volatility: float  # standard deviation of the daily log-return
    decimals: int  # as the ECB writes it


CURRENCIES = (
    Currency("USD", 1.08, 0.0045, 4),
    Currency("GBP", 0.855, 0.0030, 5),
    Currency("CAD", 1.47, 0.0040, 4),
)


def working_days(first: date, last: date) -> list[date]:
    """The days the ECB publishes on between ``first`` and ``last``, both included."""
    found = []
    day = first
    while day <= last:
        if day.weekday() < 5 and (day.month, day.day) not in CLOSED:
            found.append(day)
        day += timedelta(days=1)
    return found


def demo_rates(ctx: DemoContext) -> list[tuple[date, str, str]]:
    """(day, currency, rate written out) for every working day of the company's history, up to its last day."""
    rng = ctx.rng("exchange-rates")
    days = working_days(ctx.until - timedelta(days=HISTORY_DAYS), ctx.until)
    found: list[tuple[date, str, str]] = []
    for currency in CURRENCIES:
        anchor = math.log(currency.level)
        level = anchor
        shocks = rng.standard_normal(len(days))
        for day, shock in zip(days, shocks.tolist(), strict=True):
            level += PULL * (anchor - level) + currency.volatility * shock
            found.append((day, currency.code, f"{math.exp(level):.{currency.decimals}f}"))
    found.sort()
    return found


def demo_rates_csv(ctx: DemoContext) -> str:
    """The demo's rates as a ``date,currency,rate`` file, the plain shape ``referly fx import`` reads."""
    lines = ["date,currency,rate", *(f"{day.isoformat()},{code},{rate}" for day, code, rate in demo_rates(ctx))]
    return "\n".join(lines) + "\n"


def write_demo_rates(ctx: DemoContext, folder: Path) -> int:
    """Write the demo's rates file into ``folder``; returns how many rates it holds."""
    text = demo_rates_csv(ctx)
    (folder / FILE_NAME).write_text(text, encoding="utf-8")
    return text.count("\n") - 1
