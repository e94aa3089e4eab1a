"""The reduction of ``referly.scoring.strength`` written by hand for SQLite, where the interactions are stored.

Same columns, same numbers as ``reduction_sql`` (the test suite compares them to 1e-9), shaped for
SQLite's byte-code interpreter, which pays for every expression on every row:

- one pass over the unique index (contact, teammate, time, kind), which covers every column read and
  already yields each pair's touches together: no sort, no temporary B-tree;
- each touch's time parsed once, for its weight; the cut-off compared as text, as Django's own lookups
  compare SQLite's UTC timestamps (``YYYY-MM-DD HH:MM:SS[.ffffff]`` orders as time does);
- the per-kind sums as ``total(w) FILTER (WHERE kind = k)``: one aggregate step per touch instead of six;
- first and last touch not aggregated on every row but looked up once per pair, two index seeks
  (taking the minimum and maximum of the parsed times on every row cost as much as the six sums).
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime

from referly.scoring.strength import DAY, SUMS


def sqlite_reduction_runs() -> bool:
    """FILTER on aggregates needs SQLite 3.30, unixepoch() 3.38; older versions take the generic rendering."""
    return sqlite3.sqlite_version_info >= (3, 38)


def sqlite_reduction_sql(as_of: int, half_life_days: float) -> str:
    """Per (teammate, contact) pair with a touch before ``as_of`` (epoch seconds): a, b, the six decayed sums,
    touches, first_ts, last_ts."""
    cut = datetime.fromtimestamp(int(as_of), tz=UTC).strftime("'%Y-%m-%d %H:%M:%S'")
    rate = math.log(2) / (float(half_life_days) * DAY)
    weight = f"exp((unixepoch(occurred_at) - {int(as_of)}) * {rate!r})"
    sums = ",\n       ".join(f"total({weight}) FILTER (WHERE kind = {k}) AS {name}" for k, name in enumerate(SUMS, 1))
    pair = "t.contact_id = i.contact_id AND t.teammate_id = i.teammate_id"
    return f"""
SELECT i.teammate_id AS a, i.contact_id AS b,
       {sums},
       count(*) AS touches,
       (SELECT unixepoch(min(t.occurred_at)) FROM crm_interaction t WHERE {pair}) AS first_ts,
       (SELECT unixepoch(max(t.occurred_at)) FROM crm_interaction t WHERE {pair} AND t.occurred_at < {cut}) AS last_ts
FROM crm_interaction i
WHERE i.occurred_at < {cut}
GROUP BY i.contact_id, i.teammate_id
"""
