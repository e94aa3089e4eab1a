"""From addresses to records: the teammate and the contact of each touch, made or matched, then written.

People rules: a blocklisted address, a forgotten one (``ForgottenAddress``), a contact who opted out or
must not be contacted, a personal mailbox (``FREE_MAIL``) nobody imported, and a robot are skipped. An
unknown address at a known account's domain becomes a contact with ``source_system = "capture"``;
an unknown company domain is counted, and becomes an account only with ``create_accounts``.

Job changes: an unknown address at a known account whose display name is the name of exactly one
contact, at another account, is that contact's new address: they move to the new account
(``crm.moves``, dated by the message) and take the address as their e-mail. A message dated no later
than the start of their current stint is from an address they left: it is theirs, and moves nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from referly import config
from referly.capture.rules import (
    FREE_MAIL,
    Blocklist,
    Pair,
    Team,
    domain_of,
    is_robot,
    normalise,
    plausible,
    split_name,
)
from referly.capture.summary import Summary
from referly.crm import normalise as keys
from referly.crm.models import (
    Account,
    Contact,
    ForgottenAddress,
    InteractionKind,
    Teammate,
    address_digest,
    person_digest,
)
from referly.crm.moves import move_contact, namesake_elsewhere, person_key
from referly.crm.queries import CAPTURED
from referly.ingest.touches import Touch, insert_touches


@dataclass(frozen=True)
class Person:
    contact_id: int | None
    skip: str = ""  # why this person is never captured
    found: str = "created"  # how an address first met was resolved: created, or matched (by name)
    settled: bool = True  # False: matched by name in a message that may not move them; asked again next time


def _skip(do_not_contact: bool, opted_out: bool) -> str:
    return "do not contact" if do_not_contact else "opted out" if opted_out else ""


def team_from_settings() -> Team:
    """Our side: REFERLY_TEAM_DOMAINS, else the domains of the teammates' e-mails; and every teammate's address."""
    addresses = frozenset(
        normalise(e) for e in Teammate.objects.exclude(email=None).values_list("email", flat=True) if e
    )
    domains = frozenset(keys.domain(d) for d in config.TEAM_DOMAINS.items())
    if not domains:
        domains = frozenset(domain_of(a) for a in addresses) - FREE_MAIL
    return Team(domains, addresses)


class Recorder:
    """Resolves the two ends of each touch and buffers the touches; ``flush`` writes them (inside the caller's
    transaction). Caches are loaded once; ``reload`` after a rollback."""

    def __init__(self, *, create_accounts: bool = False, source: str = CAPTURED) -> None:
        self.create_accounts, self.source = create_accounts, source
        self.blocklist = Blocklist.of(config.CAPTURE_BLOCKLIST.items())
        self.pending: list[Touch] = []
        self.seen: set[str] = set()  # people counted in this capture's summary
        self.resolved: dict[str, int | None] = {}  # each address met in this capture, and its contact
        self.may_move = False  # whether the pair at hand may show a job change (see ``add``)
        self.at: datetime | None = None  # when the touch being resolved happened: a job change's date
        self.reload()

    def reload(self) -> None:
        self.team = team_from_settings()
        teammates = Teammate.objects.exclude(email=None).values_list("pk", "email")
        self.teammates = {normalise(e): pk for pk, e in teammates if e}
        self.contacts: dict[str, Person] = {}
        for pk, email, dnc, opted in Contact.objects.exclude(email=None).values_list(
            "pk", "email", "do_not_contact", "opted_out_of_asks"
        ):
            if not email:
                continue
            self.contacts[normalise(email)] = Person(pk, _skip(dnc, opted))
        self.accounts: dict[str, int] = {}
        self.account_keys: dict[int, str] = {}
        for pk, domain, name_key in Account.objects.values_list("pk", "domain", "name_key"):
            self.account_keys[pk] = name_key
            if domain:
                self.accounts[domain] = pk
        self.forgotten = set(ForgottenAddress.objects.values_list("digest", flat=True))
        self.pending = []
        self.resolved = {}
        self.names: dict[str, list[int]] | None = None  # person_key -> contact ids, loaded when first needed

    def teammate(self, address: str, name: str = "", *, create: bool = False) -> int | None:
        """The teammate with this address; made (a mailbox's owner) only with ``create``."""
        address = normalise(address)
        found = self.teammates.get(address)
        if found is None and create:
            found = Teammate.objects.create(name=name or address, email=address, source_system=self.source).pk
            self.teammates[address] = found
            self.team = Team(self.team.domains, self.team.addresses | {address})
        return found

    def person(self, address: str, name: str, summary: Summary) -> int | None:
        """The contact id for the other end, or None (the reason counted in ``summary.people``, once)."""
        if address in self.resolved:  # met before in this capture: counted then
            return self.resolved[address]
        address = normalise(address)
        found = self._person(address, name, summary)
        if address in self.contacts or found is None:  # settled: the same answer for the rest of the capture
            self.resolved[address] = found
        return found

    def _person(self, address: str, name: str, summary: Summary) -> int | None:
        known = self.contacts.get(address)
        fresh, first_time = known is None, address not in self.seen
        self.seen.add(address)
        if self.blocklist.blocks(address):  # contacts already in the CRM too: counsel, HR, personal
            summary.people["blocklisted"] += first_time
            return None
        if not plausible(address):
            summary.people["not an address"] += first_time
            return None
        if known is None:
            known = self._new_person(address, name, summary)
            if known.settled:
                self.contacts[address] = known
        if known.skip:
            summary.people[known.skip] += first_time
            return None
        summary.people[known.found if fresh else "matched"] += first_time
        return known.contact_id

    def _new_person(self, address: str, name: str, summary: Summary) -> Person:
        if address_digest(address) in self.forgotten:
            return Person(None, "forgotten")
        if is_robot(address):
            return Person(None, "robot")
        domain = domain_of(address)
        if domain in FREE_MAIL:
            return Person(None, "personal address, not a contact")
        account = self.accounts.get(domain)
        if account is None and self.create_accounts and "." in domain:
            account = Account.objects.create(
                name=domain, name_key=keys.company_key(domain.rsplit(".", 1)[0]), domain=domain,
                source_system=self.source,
            ).pk  # fmt: skip
            self.accounts[domain] = account
            summary.people["accounts created"] += 1
        if account is None:
            summary.unknown_domains[domain] += 1
            return Person(None, "unknown company domain")
        first, last = split_name(name)
        key = person_key(first, last)
        if key and person_digest(key, self.account_keys.get(account, "")) in self.forgotten:
            return Person(None, "forgotten")  # a forgotten person writing from a new address at the same company
        moved = self._job_change(address, key, account, summary)
        if moved is not None:
            return moved
        contact = Contact.objects.create(
            account_id=account, email=address, first_name=first, last_name=last, source_system=self.source
        )
        if key:
            self._namesakes(key).append(contact.pk)
        return Person(contact.pk)

    def _job_change(self, address: str, key: str, account: int, summary: Summary) -> Person | None:
        """The contact this new address at ``account`` belongs to by name, moved there when the message is
        newer than their current stint; None when the name is nobody's, or more than one person's."""
        if not key:
            return None
        ids = self._namesakes(key)
        found = Contact.objects.select_related("account").filter(pk__in=ids, erased_at=None)
        namesakes = {c.pk: c for c in found}
        for here in (c for c in namesakes.values() if c.account_id == account):
            if skip := _skip(here.do_not_contact, here.opted_out_of_asks):
                return Person(None, skip)  # another address of someone who asked to be left alone
        chosen = namesake_elsewhere([(c.pk, c.account_id) for c in namesakes.values()], account)
        if chosen is None or len(namesakes) != len(ids):
            return None
        contact = namesakes[chosen]
        skip = _skip(contact.do_not_contact, contact.opted_out_of_asks)
        if skip:  # nothing is written about them
            return Person(contact.pk, skip, found="matched")
        if not self.may_move:  # written to: maybe an old address; the touch is theirs, the move waits for them
            return Person(contact.pk, skip, found="matched", settled=False)
        on = (self.at or timezone.now()).date()
        if not move_contact(contact, Account.objects.get(pk=account), on, provenance="a new address in captured mail"):
            return Person(contact.pk, skip, found="matched")  # an address they had before: theirs, no move
        contact.email = address
        contact.save(update_fields=["email", "updated_at"])
        summary.people["job changes"] += 1
        return Person(contact.pk, skip, found="matched")

    def _namesakes(self, key: str) -> list[int]:
        """The ids of the contacts named ``key`` (``person_key``), erased ones aside."""
        if self.names is None:
            self.names = defaultdict(list)
            people = Contact.objects.filter(erased_at=None).values_list("pk", "first_name", "last_name")
            for pk, first, last in people.iterator(chunk_size=50_000):
                if found := person_key(first, last):
                    self.names[found].append(pk)
        return self.names[key]

    def add(self, pairs: Iterable[Pair], summary: Summary) -> int:
        """Buffer the touches of one item's pairs; returns how many it made (0: every person was skipped)."""
        made = 0
        for pair in pairs:
            teammate = self.teammates.get(pair.ours[0]) or self.teammate(pair.ours[0])
            if teammate is None:
                summary.people["our address, not a teammate"] += pair.ours[0] not in self.seen
                self.seen.add(pair.ours[0])
                continue
            self.at = pair.at
            # Only what someone sends shows where they work now: an address we write to may be an old one.
            self.may_move = pair.kind == InteractionKind.EMAIL_IN
            contact = self.person(pair.theirs[0], pair.theirs[1], summary)
            if contact is None:
                continue
            self.pending.append((contact, teammate, int(pair.kind), pair.at))
            made += 1
        return made

    def flush(self) -> int:
        """Write the buffered touches; returns how many were new."""
        touches, self.pending = sorted(set(self.pending)), []
        return insert_touches(touches) if touches else 0
