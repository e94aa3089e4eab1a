"""Counts inside sentences, written as the active language writes them."""

from __future__ import annotations

from django.utils.formats import number_format


def counted(n: int) -> str:
    """``n`` grouped by thousands in the active language: 1,999,310 in English, 1 999 310 in French (a no-break
    space, so that a count never wraps). Plural forms are chosen on the integer itself, never on this text."""
    return number_format(n, force_grouping=True)
