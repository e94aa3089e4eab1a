"""How big each demo company is."""

from __future__ import annotations

from dataclasses import dataclass

from referly.errors import InvalidInput


@dataclass(frozen=True)
class Volumes:
    name: str
    teammates: int
    accounts: int
    contacts: int
    interactions: int
    extra_referrals: int
    years: int = 3


SCALES = {
    # For tests and tutorials: every kind of record, small enough to generate in a second.
    "tiny": Volumes("tiny", teammates=12, accounts=250, contacts=2_500, interactions=50_000, extra_referrals=12),
    "smb": Volumes("smb", teammates=40, accounts=5_000, contacts=50_000, interactions=2_000_000, extra_referrals=1000),
    "enterprise": Volumes(
        "enterprise",
        teammates=400,
        accounts=100_000,
        contacts=1_000_000,
        interactions=100_000_000,
        extra_referrals=3_000,
    ),
}


def volumes_for(scale: str) -> Volumes:
    try:
        return SCALES[scale]
    except KeyError:
        raise InvalidInput(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}") from None
