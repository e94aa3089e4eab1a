"""A teammate's LinkedIn connections, captured: each row of ``Connections.csv`` a declared tie with them.

People rules (docs/capture-linkedin.md):

- A row is a contact found by e-mail, else by name at the company: the row's company, normalised, is
  the ``name_key`` of the contact's account (two contacts of that name there: skipped, never guessed).
- A person not found becomes a contact (``source_system = "capture"``) when the company is a known account
  (one account of that name); otherwise the row is counted: "company not an account".
- A known contact shown at another known account has changed jobs (``crm.moves``, dated by the capture):
  one found by e-mail, or the only contact of that name anywhere when nobody of that name is at the company.
- Blocklisted, forgotten (by e-mail, or by name at the company), do-not-contact and opted-out people are
  skipped and counted, as in every capture; nothing about them is written. A personal address
  (``FREE_MAIL``), which is what LinkedIn mostly shows, is used to find a person, never kept as a contact's
  e-mail.
- The tie is ``Connection(kind=declared)`` between the contact and the teammate, dated by "Connected On";
  one per person, so a second capture of the same export adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from referly import config
from referly.capture.linkedin import LinkedInConnection, decode, parse
from referly.capture.rules import FREE_MAIL, Blocklist, domain_of, normalise, plausible
from referly.capture.runs import settle
from referly.capture.summary import Summary
from referly.crm import normalise as keys
from referly.crm.models import (
    Account,
    Connection,
    ConnectionKind,
    Contact,
    ForgottenAddress,
    Teammate,
    address_digest,
    person_digest,
)
from referly.crm.moves import move_contact, namesake_elsewhere, person_key
from referly.crm.queries import CAPTURED
from referly.errors import InvalidInput, NotFound

CONFIDENCE = 0.4  # the tie is real, but many LinkedIn connections are acquaintances rather than warm ties
MOST_BYTES = 64 * 1024**2  # LinkedIn's 30,000-connection cap makes a file of a few MB; read whole, so capped


def capture_connections(
    path: Path, *, teammate: str, now: datetime, strict: bool = False, dry_run: bool = False
) -> Summary:
    """Capture one export in one transaction. With ``strict`` any bad row refuses the whole file (``refused``,
    nothing written); ``dry_run`` rolls everything back."""
    try:
        size = path.stat().st_size
        if size > MOST_BYTES:
            raise InvalidInput(
                f"{path.name}: {size:,} bytes, more than the {MOST_BYTES:,} a LinkedIn export can hold "
                "(30,000 connections make a few MB); is it Connections.csv?",
                field="path",
                code="file_too_large",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}", field="path") from None
    export = parse(decode(raw), path.name, now.date())
    summary = Summary(read=export.rows, files=1, errors=list(export.errors))
    with transaction.atomic():
        people = Connections(teammate, now.date())
        for row in export.connections:
            people.take(row, summary)
        summary.added = people.flush()
        settle(summary, strict=strict, dry_run=dry_run)
    return summary


@dataclass
class Known:
    """A contact as the matching needs it."""

    pk: int
    account_id: int
    email: str
    skip: str  # why this contact is never captured, or ""


class Connections:
    """Matches one export's rows to contacts and buffers their ties with the teammate; ``flush`` writes them.
    Everything is loaded once, in two queries: an export has thousands of rows, the contacts may be millions."""

    def __init__(self, teammate: str, today: date) -> None:
        found = Teammate.objects.filter(email=keys.email(teammate)).first()
        if found is None:
            raise NotFound(
                f"No teammate has the e-mail {teammate.strip()}: add them first "
                "(referly user create EMAIL --role member, or referly import teammates FILE)",
                field="--teammate",
                code="teammate_not_found",
            )
        self.teammate, self.today = found, today
        self.blocklist = Blocklist.of(config.CAPTURE_BLOCKLIST.items())
        self.forgotten = set(ForgottenAddress.objects.values_list("digest", flat=True))
        self.accounts: dict[str, list[int]] = defaultdict(list)  # name_key -> account ids
        self.account_key: dict[int, str] = {}
        self.domains: dict[int, str] = {}
        for pk, key, domain in Account.objects.values_list("pk", "name_key", "domain"):
            self.accounts[key].append(pk)
            self.account_key[pk] = key
            if domain:
                self.domains[pk] = domain
        self.by_email: dict[str, Known] = {}
        self.by_name: dict[str, list[Known]] = defaultdict(list)
        contacts = Contact.objects.filter(erased_at=None).values_list(
            "pk", "account_id", "email", "first_name", "last_name", "do_not_contact", "opted_out_of_asks"
        )
        for pk, account_id, email, first, last, dnc, opted in contacts.iterator(chunk_size=50_000):
            known = Known(pk, account_id, email or "", "do not contact" if dnc else "opted out" if opted else "")
            if email:
                self.by_email[normalise(email)] = known
            if name := person_key(first, last):
                self.by_name[name].append(known)
        self.tied = set(
            Connection.objects.filter(teammate=found, kind=ConnectionKind.DECLARED).values_list(
                "from_contact_id", flat=True
            )
        )
        self.pending: dict[int, LinkedInConnection] = {}

    def take(self, row: LinkedInConnection, summary: Summary) -> None:
        """One row: a tie to write, a duplicate, or a skip with its reason (each counted in ``summary``)."""
        found = self.person(row, summary)
        if isinstance(found, str):
            summary.skipped[found] += 1
        elif found[0].pk in self.pending:
            summary.duplicates += 1
        else:
            self.pending[found[0].pk] = row
            summary.captured += 1
            summary.people[found[1]] += 1

    def person(self, row: LinkedInConnection, summary: Summary) -> tuple[Known, str] | str:
        """The contact the row is, and whether it was matched (perhaps moved) or created; or why it is skipped."""
        email = normalise(row.email) if "@" in row.email and plausible(normalise(row.email)) else ""
        if email and self.blocklist.blocks(email):
            return "blocklisted"
        if email and {address_digest(email), address_digest(row.email)} & self.forgotten:
            return "forgotten"
        company = keys.company_key(row.company)
        name_here = person_key(row.first_name, row.last_name)
        if name_here and company and person_digest(name_here, company) in self.forgotten:
            return "forgotten"
        accounts = self.accounts.get(company, []) if company else []
        name = person_key(row.first_name, row.last_name)
        known = self.by_email.get(email) if email else None
        if known is None and name and company:
            here = [k for k in self.by_name.get(name, []) if self.account_key.get(k.account_id) == company]
            if len(here) > 1:
                return "more than one contact of this name at the company"
            known = here[0] if here else None
        if known is not None:
            if known.email and self.blocklist.blocks(normalise(known.email)):
                return "blocklisted"
            if known.skip:
                return known.skip
            if len(accounts) == 1 and accounts[0] != known.account_id:  # found by e-mail, at a new employer
                self._move(known, accounts[0], summary)
            return known, "matched"
        if not accounts:
            return "company not an account"
        if len(accounts) > 1:
            return "company name shared by several accounts"
        account = accounts[0]
        if account in self.domains and self.blocklist.blocks(f"@{self.domains[account]}"):
            return "blocklisted"
        namesakes = self.by_name.get(name, []) if name else []
        chosen = namesake_elsewhere([(k.pk, k.account_id) for k in namesakes], account)
        if chosen is not None:
            namesake = namesakes[0]
            if namesake.skip:
                return namesake.skip
            self._move(namesake, account, summary, email=email)
            return namesake, "matched"
        return self._create(row, email, account, name), "created"

    def _move(self, known: Known, account: int, summary: Summary, *, email: str = "") -> None:
        """A job change: the contact now works at ``account``; an address the row gives becomes theirs."""
        contact = Contact.objects.select_related("account").get(pk=known.pk)
        provenance = f"LinkedIn connections of {self.teammate.name}"
        if not move_contact(contact, Account.objects.get(pk=account), self.today, provenance=provenance):
            return
        known.account_id = account
        if email and email not in self.by_email and domain_of(email) not in FREE_MAIL:
            contact.email = email
            contact.save(update_fields=["email", "updated_at"])
            known.email = email
            self.by_email[email] = known
        summary.people["job changes"] += 1

    def _create(self, row: LinkedInConnection, email: str, account: int, name: str) -> Known:
        email = email if domain_of(email) not in FREE_MAIL else ""
        contact = Contact.objects.create(
            account_id=account,
            email=email or None,
            first_name=row.first_name,
            last_name=row.last_name,
            title=row.position,
            source_system=CAPTURED,
        )
        known = Known(contact.pk, account, email, "")
        if email:
            self.by_email[email] = known
        if name:
            self.by_name[name].append(known)
        return known

    def flush(self) -> int:
        """Write the ties not stored yet; returns how many were new."""
        new = [
            Connection(
                from_contact_id=pk,
                teammate=self.teammate,
                kind=ConnectionKind.DECLARED,
                confidence=CONFIDENCE,
                provenance=f"LinkedIn connection, {row.connected_on.isoformat()}",
                since=row.connected_on,
            )
            for pk, row in sorted(self.pending.items())
            if pk not in self.tied
        ]
        Connection.objects.bulk_create(new)
        self.tied |= {c.from_contact_id for c in new}
        self.pending = {}
        return len(new)
