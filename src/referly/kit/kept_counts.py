"""Totals of long lists kept in the process's cache, under a key that changes whenever the list can change.

A list of one scoring run's results (its actions, its sponsor scores) changes only with a new run: its total,
a COUNT over thousands of rows on every page view, is kept under the run's key and counted once per process.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet

KEPT_SECONDS = 3600


def kept_count(items: QuerySet[Any], key: str) -> int:
    """``items.count()``, kept under ``key`` and the query's own text (its filters: who sees what)."""
    try:
        sql = str(items.query)
    except EmptyResultSet:  # a query Django knows to be empty before asking
        return 0
    name = f"referly:count:{key}:{hashlib.sha256(sql.encode()).hexdigest()[:32]}"
    found = cache.get(name)
    if isinstance(found, int):
        return found
    total = items.count()
    cache.set(name, total, KEPT_SECONDS)
    return total


class KeptCountPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator with its total kept under ``key`` (see ``kept_count``)."""

    def __init__(self, items: QuerySet[Any], size: int, key: str) -> None:
        super().__init__(items, size)
        self.items = items
        self.key = key

    @cached_property
    def count(self) -> int:
        return kept_count(self.items, self.key)
