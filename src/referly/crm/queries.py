"""Reads of the shared company records: account search and one account with its owner."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from referly.crm.models import Account
from referly.errors import NotFound


def search_accounts(
    query: str = "",
    *,
    lifecycle: str | None = None,
    industry: str | None = None,
    country: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[Account]:
    """Accounts whose name or domain contains ``query``, filtered, by name; any case for text filters."""
    found = Account.objects.select_related("owner")
    text = query.strip()
    if text:
        found = found.filter(Q(name__icontains=text) | Q(domain__icontains=text))
    if lifecycle:
        found = found.filter(lifecycle=lifecycle)
    if industry and industry.strip():
        found = found.filter(industry__iexact=industry.strip())
    if country and country.strip():
        found = found.filter(country__iexact=country.strip())
    if owner_id:
        found = found.filter(owner_id=owner_id)
    return found.order_by("name", "id")


def account(account_id: int) -> Account:
    """One account with its owner, or ``NotFound``."""
    found = Account.objects.select_related("owner").filter(pk=account_id).first()
    if found is None:
        raise NotFound(f"No account with id {account_id}", code="account_not_found")
    return found
