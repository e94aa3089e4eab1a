"""Record factories with sensible defaults; every record goes through the validated write path."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from referly.crm.models import Account, Contact, Opportunity, Teammate
from referly.crm.services import add_record

_seq = itertools.count(1)


def make_teammate(name: str, *, role: str = "ae", **fields: Any) -> Teammate:
    email = fields.pop("email", f"{name.lower().replace(' ', '.')}@northbeam.example")
    return add_record(Teammate(name=name, email=email, role=role, **fields))


def make_account(name: str | None = None, **fields: Any) -> Account:
    n = next(_seq)
    name = name or f"Company {n}"
    fields.setdefault("domain", f"company-{n}.example")
    fields.setdefault("industry", "Software")
    fields.setdefault("employees", 250)
    return add_record(Account(name=name, **fields))


def make_contact(account: Account | None = None, **fields: Any) -> Contact:
    n = next(_seq)
    account = account or make_account()
    fields.setdefault("first_name", "Jane")
    fields.setdefault("last_name", f"Doe{n}")
    fields.setdefault("email", f"jane.doe{n}@{account.domain or 'example.com'}")
    return add_record(Contact(account=account, **fields))


def make_opportunity(account: Account | None = None, **fields: Any) -> Opportunity:
    account = account or make_account()
    fields.setdefault("name", f"{account.name} deal")
    fields.setdefault("amount", Decimal("12000"))
    fields.setdefault("created_on", date(2026, 1, 15))
    return add_record(Opportunity(account=account, **fields))
