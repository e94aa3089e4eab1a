"""Turn one raw cell into a typed value, or say in plain words why it cannot be one.

Pure functions: a cell (a string from CSV, or a native value from XLSX/Parquet) in, a value
out, or ``BadValue`` with the reason a person would understand.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from referly.crm import normalise

TRUE = {"true", "yes", "y", "1", "x", "t", "oui", "vrai"}
FALSE = {"false", "no", "n", "0", "f", "non", "faux", ""}
COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "holland": "NL",
    "deutschland": "DE",
    "espana": "ES",
}
# Clocks differ and exports are cut in another time zone: a date up to a day ahead is not "future".
FUTURE_SLACK = timedelta(days=1)


class BadValue(ValueError):
    """The reason a cell was refused, worded for the person who fixes the file."""


def text(raw: Any, max_length: int | None = None) -> str | None:
    if raw is None:
        return None
    value = str(raw).strip()
    if not value:
        return None
    if max_length and len(value) > max_length:
        raise BadValue(f"is {len(value):,} characters long; at most {max_length:,} fit")
    if "\x00" in value:
        raise BadValue("holds a NUL character, which no database stores")
    return value


def _number_text(raw: Any) -> str:
    value = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    value = re.sub(r"^[$€£¥]|[$€£¥]$", "", value)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", value):
        value = value.replace(",", "")
    return value


def integer(raw: Any, *, minimum: int | None = 0) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise BadValue("is not a whole number")
    try:
        number = Decimal(_number_text(raw)) if not isinstance(raw, int | float) else Decimal(str(raw))
    except InvalidOperation:
        raise BadValue("is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise BadValue("is not a whole number")
    if minimum is not None and number < minimum:
        raise BadValue(f"must be at least {minimum}")
    if abs(number) > 2**31 - 1:
        raise BadValue("is too large")
    return int(number)


def decimal(raw: Any, *, negative: bool = False, scale: float = 1, places: int = 2) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise BadValue("is not a number")
    try:
        number = Decimal(str(raw)) if isinstance(raw, int | float) else Decimal(_number_text(raw))
    except InvalidOperation:
        raise BadValue("is not a number") from None
    if not number.is_finite():
        raise BadValue("is not a number")
    number *= Decimal(str(scale))
    if number < 0 and not negative:
        raise BadValue("must not be negative")
    if abs(number) >= Decimal(10) ** 14:
        raise BadValue("is too large")
    return number.quantize(Decimal(1).scaleb(-places))


def fraction(raw: Any) -> float | None:
    number = decimal(raw, places=6)
    if number is None:
        return None
    if number > 1:
        raise BadValue("must be between 0 and 1")
    return float(number)


def boolean(raw: Any) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False if value else None
    raise BadValue("is not yes or no")


def moment(raw: Any, fmt: str | None, now: datetime, *, future: bool = False) -> datetime | None:
    """A UTC time from a cell: ISO by default, or a strptime format, 'epoch' or 'epoch_ms'."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    elif fmt in ("epoch", "epoch_ms"):
        try:
            seconds = float(str(raw).strip()) / (1000 if fmt == "epoch_ms" else 1)
            value = datetime.fromtimestamp(seconds, tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise BadValue(
                f"is not a time in {'milliseconds' if fmt == 'epoch_ms' else 'seconds'} since 1970"
            ) from None
    else:
        value = _parse(str(raw).strip(), fmt)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.year < 1900:
        raise BadValue("is before 1900")
    if not future and value > now + FUTURE_SLACK:
        raise BadValue("is in the future")
    return value.astimezone(UTC)


def day(raw: Any, fmt: str | None, now: datetime, *, future: bool = False) -> date | None:
    value = moment(raw, fmt, now, future=future)
    return value.date() if value else None


def _parse(value: str, fmt: str | None) -> datetime:
    if fmt and fmt != "iso":
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            raise BadValue(f"is not a date in the format {fmt}") from None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue("is not a date (expected YYYY-MM-DD; set the format in the mapping)") from None


def email(raw: Any) -> str | None:
    value = text(raw, 254)
    if value is None:
        return None
    value = normalise.email(value)
    try:
        validate_email(value)
    except ValidationError:
        raise BadValue("is not an e-mail address") from None
    return value


def domain(raw: Any) -> str | None:
    value = text(raw, 255)
    if value is None:
        return None
    host = normalise.domain(value)
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", host):
        raise BadValue("is not a web domain")
    return host


@cache
def _countries() -> dict[str, str]:
    import pycountry

    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names[normalise.ascii_fold(value).lower()] = c.alpha_2
    return names


def country(raw: Any) -> str:
    value = text(raw, 100)
    if value is None:
        return ""
    key = normalise.ascii_fold(value).lower().strip()
    code = COUNTRY_ALIASES.get(key) or _countries().get(key)
    if code is None:
        raise BadValue("is not a country name or ISO code Referly knows")
    return code


def choice(raw: Any, allowed: tuple[str, ...], field: str) -> str | None:
    value = text(raw)
    if value is None:
        return None
    key = value.lower().replace(" ", "_").replace("-", "_")
    if key in allowed:
        return key
    raise BadValue(f"is not one Referly knows ({', '.join(allowed)}); map it in the mapping's [values.{field}]")
