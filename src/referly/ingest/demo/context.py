"""What every part of the generator shares: the volumes, the clock and seeded randomness.

Each part draws from its own stream (seed + part name), so changing how one part draws
leaves the others' data as it was. Times are int64 days or seconds since 1970-01-01 UTC.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import numpy as np
from faker import Faker

from referly.ingest.demo.volumes import Volumes

DAY = 86_400
IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass
class DemoContext:
    volumes: Volumes
    seed: int
    until: date
    _fakers: dict[str, Faker] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        """Midnight UTC at the end of the generated history; every event is before it."""
        return datetime(self.until.year, self.until.month, self.until.day, tzinfo=UTC)

    @property
    def today(self) -> int:
        return (self.until - date(1970, 1, 1)).days

    @property
    def first_day(self) -> int:
        return self.today - 365 * self.volumes.years

    def rng(self, part: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(part.encode())])

    def faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            fake = Faker(locale)
            fake.seed_instance(self.seed * 1_000 + zlib.crc32(locale.encode()) % 1_000)
            self._fakers[locale] = fake
        return self._fakers[locale]


def as_dates(days: IntArray) -> np.ndarray[Any, Any]:
    return days.astype("datetime64[D]")


def dates_or_none(days: IntArray) -> list[str | None]:
    """Day numbers as ISO dates; negative numbers mean 'no date'."""
    text = np.datetime_as_string(np.maximum(days, 0).astype("datetime64[D]"), unit="D").tolist()
    return [t if d >= 0 else None for t, d in zip(text, days.tolist(), strict=True)]


def as_times(seconds: IntArray) -> np.ndarray[Any, Any]:
    return seconds.astype("datetime64[s]")


def pick(rng: np.random.Generator, weighted: list[tuple[str, float]], size: int) -> IntArray:
    """Indices into ``weighted`` drawn with its weights."""
    p = np.array([w for _, w in weighted], dtype=np.float64)
    return rng.choice(len(weighted), size=size, p=p / p.sum())


@cache
def _slug_table() -> dict[int, str]:
    return {ord(c): "-" for c in " _.,'&/"}


def slug(text: str) -> str:
    from referly.crm.normalise import ascii_fold

    return "-".join(filter(None, ascii_fold(text).lower().translate(_slug_table()).split("-")))
