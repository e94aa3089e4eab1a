"""ICP fit: how well an account matches the ideal customer profile, criterion by criterion.

The rule for one value is ``meets``; ``icp_fit`` applies it to every account at once in DuckDB
(one SQL expression per criterion), with the same outcome: a 0-100 score (the weights of the
criteria met over the total weight), a tier and, per account, each criterion's name, outcome
(met, missed, or unknown when the value is missing) and value.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from referly.kit.sql import sql_text
from referly.scoring.config import Criterion, IcpSettings


def meets(criterion: Criterion, value: Any) -> bool | None:
    """True or False, or None when the value is unknown (an unknown value never counts as met).

    ``any_of`` compares text without regard to case; ``between`` reads the value as a number, bounds
    included (a value that is not a number is unknown).
    """
    if value is None or value == "":
        return None
    if criterion.any_of:
        return str(value).lower() in {v.lower() for v in criterion.any_of}
    if criterion.between is not None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        low, high = criterion.between
        return low <= number <= high
    return None


def _value_sql(field: str, columns: list[str]) -> tuple[str, str]:
    """The criterion's value as it is shown (SQL) and as text (SQL, NULL when missing or empty)."""
    if field.startswith("custom."):
        path = sql_text('$."' + field.removeprefix("custom.").replace('"', '\\"') + '"')
        shown = f"json_extract(NULLIF(custom, ''), {path})"
        return shown, f"NULLIF(json_extract_string(NULLIF(custom, ''), {path}), '')"
    if field not in columns or field == "custom":
        return "NULL", "NULL::VARCHAR"
    column = '"' + field.replace('"', '""') + '"'
    return column, f"NULLIF(CAST({column} AS VARCHAR), '')"


def _met_sql(criterion: Criterion, text: str) -> str:
    if criterion.any_of:
        options = ", ".join(sql_text(v.lower()) for v in criterion.any_of)
        return f"(lower({text}) IN ({options}))"
    if criterion.between is not None:
        low, high = criterion.between
        return f"(TRY_CAST({text} AS DOUBLE) BETWEEN {float(low)!r} AND {float(high)!r})"
    return "NULL::BOOLEAN"


def icp_fit(con: duckdb.DuckDBPyConnection, settings: IcpSettings) -> pa.Table:
    """Per account of ``accounts`` (registered on ``con``): account_id, fit (0-100), tier, criteria_met
    (names), criteria (JSON: name, met, value, weight of each criterion)."""
    columns = con.sql("SELECT * FROM accounts LIMIT 0").columns
    total = sum(c.weight for c in settings.criteria) or 1.0
    met, shown = [], []
    for c in settings.criteria:
        value, text = _value_sql(c.field, columns)
        met.append(f"CASE WHEN {text} IS NULL THEN NULL ELSE {_met_sql(c, text)} END")
        shown.append(value)
    points = " + ".join(
        f"CASE WHEN m{i} THEN {float(c.weight)!r} ELSE 0.0 END" for i, c in enumerate(settings.criteria)
    )
    names = ", ".join(f"CASE WHEN m{i} THEN {sql_text(c.name)} END" for i, c in enumerate(settings.criteria))
    objects = ", ".join(
        f"json_object('name', {sql_text(c.name)}, 'met', m{i}, 'value', v{i}, 'weight', {float(c.weight)!r})"
        for i, c in enumerate(settings.criteria)
    )
    selected = "".join(f", {m} AS m{i}, {v} AS v{i}" for i, (m, v) in enumerate(zip(met, shown, strict=True)))
    return con.sql(
        f"""
        SELECT id AS account_id, fit,
               CASE WHEN fit >= {float(settings.tier_a)!r} THEN 'A'
                    WHEN fit >= {float(settings.tier_b)!r} THEN 'B' ELSE 'C' END AS tier,
               [n FOR n IN [{names}]::VARCHAR[] IF n IS NOT NULL] AS criteria_met,
               json_array({objects})::VARCHAR AS criteria
        FROM (SELECT id, 100.0 * ({points or "0.0"}) / {float(total)!r} AS fit, * EXCLUDE (id)
              FROM (SELECT id{selected} FROM accounts))
        ORDER BY id
        """
    ).to_arrow_table()
