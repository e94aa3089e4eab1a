"""SQL text built by hand, for the few queries whose shape is computed (DuckDB, raw cursors)."""

from __future__ import annotations

from collections.abc import Iterable


def sql_text(value: object) -> str:
    """``value`` as a SQL string literal (quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_in(values: Iterable[object]) -> str:
    """A parenthesised list of SQL string literals for ``IN``, in the order given."""
    return "(" + ", ".join(sql_text(v) for v in values) + ")"
