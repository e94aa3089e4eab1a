"""How long a personal API token lives, and the warnings a token list shows: pure rules with an explicit ``now``.

A lifetime is written as a whole number and a unit (``90d``, ``12w``, ``6m``, ``1y``: days, weeks, months of
30 days, years of 365 days) or ``never``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from referly.errors import InvalidInput

DEFAULT_LIFETIME = "90d"
# A token unused for longer than this is probably forgotten: the list suggests revoking it.
UNUSED_DAYS = 30
# A token expiring within this many days is flagged, so its tool gets a new one in time.
EXPIRING_DAYS = 14
# Ten years: a longer lifetime is a typing slip, and ``never`` says it plainly.
LONGEST = timedelta(days=3650)
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
NEVER = "never"
_LIFETIME = re.compile(r"(\d{1,5})\s*([dwmy])")


def parse_lifetime(text: str) -> timedelta | None:
    """``90d`` → 90 days; ``never`` → None; anything else is refused with the accepted forms."""
    wanted = text.strip().lower()
    if wanted == NEVER:
        return None
    found = _LIFETIME.fullmatch(wanted)
    if found is None:
        raise InvalidInput(
            f"{text!r} is not a lifetime: write a number and d, w, m or y (e.g. 90d, 12w, 6m, 1y), or never",
            field="expires_in",
            code="invalid_lifetime",
        )
    lifetime = timedelta(days=int(found.group(1)) * UNIT_DAYS[found.group(2)])
    if lifetime <= timedelta(0):
        raise InvalidInput("A token must live at least one day", field="expires_in", code="invalid_lifetime")
    if lifetime > LONGEST:
        raise InvalidInput(
            f"{text!r} is longer than ten years: write never for a token that does not expire",
            field="expires_in",
            code="invalid_lifetime",
        )
    return lifetime


def expires_at(now: datetime, lifetime: timedelta | None) -> datetime | None:
    return None if lifetime is None else now + lifetime


def is_expired(expires: datetime | None, now: datetime) -> bool:
    return expires is not None and expires <= now


@dataclass(frozen=True)
class TokenHealth:
    """What a token list says about one token besides its name: its age of use and its expiry."""

    expired: bool
    never_expires: bool
    days_left: int | None  # whole days until it expires; None when it never does
    unused_days: int  # whole days since it was last used (or created, when never used)
    never_used: bool

    @property
    def stale(self) -> bool:
        """Unused for more than ``UNUSED_DAYS``: probably forgotten, and worth revoking."""
        return not self.expired and self.unused_days > UNUSED_DAYS

    @property
    def expiring(self) -> bool:
        return not self.expired and self.days_left is not None and self.days_left <= EXPIRING_DAYS


def token_health(
    created_at: datetime, last_used_at: datetime | None, expires: datetime | None, now: datetime
) -> TokenHealth:
    since = last_used_at or created_at
    return TokenHealth(
        expired=is_expired(expires, now),
        never_expires=expires is None,
        days_left=None if expires is None else max((expires - now).days, 0),
        unused_days=max((now - since).days, 0),
        never_used=last_used_at is None,
    )


def health_warnings(health: TokenHealth, expires: datetime | None) -> list[str]:
    """The warnings ``referly user tokens`` prints for a token, in English (the page words them itself)."""
    said: list[str] = []
    if health.expired and expires is not None:
        said.append(f"expired on {expires:%Y-%m-%d}")
    if health.stale:
        what = "never used, created" if health.never_used else "last used"
        said.append(f"{what} {health.unused_days} days ago: revoke it?")
    if health.expiring and expires is not None:
        said.append(f"expires on {expires:%Y-%m-%d}, in {health.days_left} days: issue a new one")
    if health.never_expires:
        said.append("never expires")
    return said
