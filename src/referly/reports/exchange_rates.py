"""Exchange rates in the database: storing a rates file (again and again, to the same result) and reading them back.

``store_rates`` writes; the caller owns the transaction, so a file is stored whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from referly import config
from referly.errors import Unavailable
from referly.reports.fx import CURRENCY, LOOKBACK_DAYS, RateBook, RatesFile

BATCH = 5_000


@dataclass(frozen=True)
class Stored:
    """What storing a rates file did."""

    added: int
    changed: int
    unchanged: int


def base_currency() -> str:
    """The currency every report amount is converted to (REFERLY_BASE_CURRENCY)."""
    code = config.BASE_CURRENCY.value().strip().upper()
    if not CURRENCY.fullmatch(code):
        raise Unavailable(f"{config.BASE_CURRENCY.name} must be a three-letter currency code, not {code!r}")
    return code


def store_rates(found: RatesFile, now: datetime) -> Stored:
    """Add the file's rates, replace those that differ, keep the rest: importing a file twice changes nothing."""
    from referly.reports.models import ExchangeRate

    if not found.rates:
        return Stored(0, 0, 0)
    days = found.dates
    existing = {
        (row.day, row.currency): row
        for row in ExchangeRate.objects.filter(currency__in=found.currencies, day__gte=days[0], day__lte=days[-1]).only(
            "id", "day", "currency", "rate"
        )
    }
    new: list[ExchangeRate] = []
    changed: list[ExchangeRate] = []
    for rate in found.rates:
        row = existing.get((rate.day, rate.currency))
        if row is None:
            new.append(ExchangeRate(day=rate.day, currency=rate.currency, rate=rate.rate, imported_at=now))
        elif Decimal(row.rate) != rate.rate:
            row.rate, row.imported_at = rate.rate, now
            changed.append(row)
    ExchangeRate.objects.bulk_create(new, batch_size=BATCH)
    ExchangeRate.objects.bulk_update(changed, ["rate", "imported_at"], batch_size=BATCH)
    return Stored(len(new), len(changed), len(found.rates) - len(new) - len(changed))


def rate_book(currencies: set[str], until: date) -> RateBook:
    """The stored rates of ``currencies`` up to ``until``, for converting amounts."""
    from referly.reports.models import ExchangeRate

    rows = ExchangeRate.objects.filter(currency__in=sorted(currencies), day__lte=until).values_list(
        "day", "currency", "rate"
    )
    return RateBook.of(((d, c, float(r)) for d, c, r in rows.iterator(chunk_size=BATCH)), LOOKBACK_DAYS)


def stored_summary() -> list[dict[str, object]]:
    """Per currency: how many rates are stored and the first and last day."""
    from django.db.models import Count, Max, Min

    from referly.reports.models import ExchangeRate

    rows = ExchangeRate.objects.values("currency").annotate(n=Count("id"), first=Min("day"), last=Max("day"))
    return [
        {"currency": r["currency"], "rates": r["n"], "first": r["first"].isoformat(), "last": r["last"].isoformat()}
        for r in rows.order_by("currency")
    ]
