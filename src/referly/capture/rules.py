"""The capture rules: pure functions, each documented in docs/capture.md and tested on its own.

- Our side is the team's domains and the teammates' own addresses; the other side is everyone else.
- Sent by one of us: ``email_out`` from the sender to each external To/Cc. Received: ``email_in`` from the
  external sender to each of us in To/Cc (or to the mailbox's owner when none of us is named there).
- Skipped whole: mailing lists and bulk mail, robot senders, internal-only messages, messages with none
  of us. Skipped per person: blocklisted, forgotten, opted-out or do-not-contact people.
- Addresses are compared lower-cased and without plus-addressing (``jane+news@acme.com`` is ``jane@acme.com``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from referly.capture.headers import Address, MailHeader
from referly.crm.models import InteractionKind

_ROBOT = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?|notifications?|"
    r"calendar-notification|calendar|invitations?|auto[-_.]?reply|daemon|news(?:letter)?)(?:[-+_.].*)?@",
    re.IGNORECASE,
)
# Personal mailboxes: a person there is not a company's employee, and the domain is never an account.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.fr", "live.com", "live.fr",
        "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "orange.fr", "wanadoo.fr", "free.fr",
        "laposte.net", "sfr.fr", "yandex.com", "mail.com", "zoho.com", "fastmail.com",
    }
)  # fmt: skip


class Skip(StrEnum):
    """Why a whole message or meeting was not captured (summary counts use these words)."""

    BULK = "mailing list or bulk"
    ROBOT = "robot sender"
    INTERNAL = "internal only"
    NOT_OURS = "none of us in it"


@lru_cache(maxsize=1 << 16)
def normalise(address: str) -> str:
    """Lower case, no plus tag: 'Jane.Doe+News@Acme.COM' -> 'jane.doe@acme.com'."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local.split('+', 1)[0] or local}@{domain}"


def plausible(address: str) -> bool:
    """An address a contact may have (RFC 5321 4.5.3.1: a local part of at most 64 octets, 254 in all)."""
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain) and len(local) <= 64 and len(address) <= 254


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


@dataclass(frozen=True)
class Team:
    """Who is on our side."""

    domains: frozenset[str]
    addresses: frozenset[str]

    def is_ours(self, address: str) -> bool:
        return address in self.addresses or domain_of(address) in self.domains


@dataclass(frozen=True)
class Blocklist:
    """Addresses and domains never captured (a setting): a domain blocks its subdomains too."""

    entries: frozenset[str]

    @classmethod
    def of(cls, items: list[str]) -> Blocklist:
        return cls(frozenset(normalise(i).lstrip("@") for i in items if i.strip()))

    def blocks(self, address: str) -> bool:
        if address in self.entries:
            return True
        domain = domain_of(address)
        parts = domain.split(".")
        return any(".".join(parts[i:]) in self.entries for i in range(len(parts) - 1))


@lru_cache(maxsize=1 << 16)
def is_robot(address: str) -> bool:
    """noreply@, mailer-daemon@, calendar-notification@ and the like: nobody to have a relationship with."""
    return bool(_ROBOT.match(address))


def bulk(header: MailHeader) -> bool:
    """Mailing-list and bulk mail (List-Id, Precedence bulk/list/junk, Auto-Submitted other than no)."""
    return (
        bool(header.list_id)
        or header.precedence in {"bulk", "list", "junk"}
        or (header.auto_submitted not in {"", "no"})
    )


class Pair(NamedTuple):
    """One touch the message makes: one of us, one of them, which way."""

    ours: Address
    theirs: Address
    kind: InteractionKind
    at: datetime


def mail_pairs(header: MailHeader, team: Team, owner: str | None) -> list[Pair] | Skip:
    """The touches a message makes, or why it makes none. ``owner``: the mailbox's teammate, if known."""
    if bulk(header):
        return Skip.BULK
    if header.sender is None:
        return Skip.NOT_OURS
    sender = (normalise(header.sender[0]), header.sender[1])
    if is_robot(sender[0]):
        return Skip.ROBOT
    people = [(normalise(a), n) for a, n in header.recipients]
    if len(people) > 1:
        people = _unique(people)
    if team.is_ours(sender[0]):
        theirs = [p for p in people if not team.is_ours(p[0]) and p[0] != sender[0]]
        if not theirs:
            return Skip.INTERNAL
        return [Pair(sender, p, InteractionKind.EMAIL_OUT, header.at) for p in theirs]
    ours = [p for p in people if team.is_ours(p[0])]
    if not ours and owner:
        ours = [(owner, "")]
    if not ours:
        return Skip.NOT_OURS
    return [Pair(p, sender, InteractionKind.EMAIL_IN, header.at) for p in ours]


def _unique(people: list[Address]) -> list[Address]:
    seen: dict[str, Address] = {}
    for address, name in people:
        if address not in seen or (name and not seen[address][1]):
            seen[address] = (address, name)
    return list(seen.values())


def split_name(name: str) -> tuple[str, str]:
    """'Doe, Jane' or 'Jane Doe' -> ('Jane', 'Doe'); an address or quotes are not a name."""
    name = name.strip().strip("'\"").strip()
    if not name or "@" in name:
        return "", ""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip()[:100], last.strip()[:100]
    first, _, last = name.rpartition(" ")
    if not first:
        return last[:100], ""
    return first.strip()[:100], last.strip()[:100]
