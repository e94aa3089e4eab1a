"""Warm paths: teammate → sponsor → target contact at a target account, found with joins.

Edge one is the teammate's relationship strength with the sponsor (the best-placed teammate);
edge two a known tie between the sponsor and someone at a prospect (former colleagues, a declared
connection, a shared board, a past introduction), with its confidence. A path's strength is the
product of its edges; the paths from one sponsor into one account combine by noisy-OR,
``1 − Π(1 − p)``: any one of them may carry the introduction; the strongest path (on a tie to
1e-9 or finer, the lowest contact id) names the target contact, and that contact's strongest tie with
the sponsor (on a tie, the kind, then the provenance, last in alphabetical order) names the
kind and provenance. Fixed depth; no graph library.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from referly.crm.lifecycle import Lifecycle, lifecycle_in


def _best_key(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """SQL for the strongest path of a group as one number (its strength, then the lowest contact id), and
    for the contact id read back from it: a BIGINT where the ids leave room for the strength to 1e-9 or
    finer (ids below 2**33), else a HUGEINT with the strength to 1e-12."""
    top = con.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchall()[0][0]
    id_bits = max(1, int(top).bit_length())
    digits = len(str(2 ** (63 - id_bits) - 1)) - 1  # 10**digits < 2**(63 - id_bits): p * 10**digits fits
    if digits >= 9:
        room = 2**id_bits
        return (
            f"round(least(p, 1.0) * 1e{digits})::BIGINT * {room} + ({room - 1} - target_contact_id)",
            f"{room - 1} - (best % {room})",
        )
    room = 2**62
    return (
        f"round(least(p, 1.0) * 1e12)::HUGEINT * {2**64} + ({room} - target_contact_id::HUGEINT)",
        f"({room} - (best % {2**64}))::BIGINT",
    )


def warm_paths(con: duckdb.DuckDBPyConnection, min_path: float) -> pa.Table:
    """Per (sponsor, target account): the combined path strength, the number of paths and the strongest
    path's target contact (the first edge, the sponsor's best-placed teammate, is the sponsor's own).

    Needs ``strengths`` (a, b, strength), ``pool`` (id, account_id: the possible sponsors), ``contacts``,
    ``accounts`` and ``connections`` registered. ``path_ties_sql`` gives each chosen path's tie.
    """
    return warm_paths_counted(con, min_path)[0]


def warm_paths_counted(con: duckdb.DuckDBPyConnection, min_path: float) -> tuple[pa.Table, dict[str, int]]:
    """``warm_paths``, and the (sponsor, target account) pairs with a tie that it leaves out, by reason:
    ``weak_path`` (weaker than ``min_path``) and ``sponsor_untouched`` (nobody on our team has a touch with the
    sponsor). One pass over the ties: every pair is grouped once, then split."""
    best, contact = _best_key(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE path_groups AS
        WITH {_TIES_SQL}
        SELECT sponsor_id, target_account_id, bool_or(untouched) AS untouched,
               1 - product(1 - p) AS path_strength, count(*) AS paths, max({best}) AS best
        FROM (
            SELECT t.*, bt.tie * t.confidence AS p, bt.sponsor_id IS NULL AS untouched
            FROM ties t LEFT JOIN best_tie bt ON bt.sponsor_id = t.sponsor_id
            WHERE t.target_account_id <> t.sponsor_account_id
        )
        GROUP BY sponsor_id, target_account_id
        """
    )
    paths = con.sql(
        f"""SELECT sponsor_id, target_account_id, path_strength, paths, {contact} AS target_contact_id
            FROM path_groups WHERE NOT untouched AND path_strength >= {min_path}"""
    ).to_arrow_table()
    weak, untouched = con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT untouched AND path_strength < {min_path}),
                   count(*) FILTER (WHERE untouched)
            FROM path_groups"""
    ).fetchall()[0]
    con.execute("DROP TABLE path_groups")
    return paths, {"weak_path": int(weak), "sponsor_untouched": int(untouched)}


# Each tie sponsor → target contact of a possible sponsor and a prospect, and each sponsor's best tie to our
# team (its first hop): the CTEs ``warm_paths_counted`` groups.
_TIES_SQL = f"""
        best_tie AS (
            SELECT b AS sponsor_id, max(strength) AS tie FROM strengths GROUP BY b
        ),
        targets AS (
            SELECT c.id, c.account_id FROM contacts c JOIN accounts a ON a.id = c.account_id
            WHERE {lifecycle_in("a.lifecycle", Lifecycle.PROSPECT)} AND NOT c.do_not_contact
        ),
        ties AS (
            SELECT e.from_id AS sponsor_id, e.to_id AS target_contact_id, pool.account_id AS sponsor_account_id,
                   tc.account_id AS target_account_id, e.confidence
            FROM connections e JOIN pool ON pool.id = e.from_id JOIN targets tc ON tc.id = e.to_id
            UNION ALL
            SELECT e.to_id, e.from_id, pool.account_id, tc.account_id, e.confidence
            FROM connections e JOIN pool ON pool.id = e.to_id JOIN targets tc ON tc.id = e.from_id
        )"""


def path_ties_sql(chosen: str) -> str:
    """SQL for the tie of each path in ``chosen`` (sponsor_id, target_contact_id): tie_kind, confidence, provenance."""
    return f"""
        WITH found AS (
            SELECT ch.sponsor_id, ch.target_contact_id, e.kind, e.confidence, e.provenance
            FROM {chosen} ch JOIN connections e ON e.from_id = ch.sponsor_id AND e.to_id = ch.target_contact_id
            UNION ALL
            SELECT ch.sponsor_id, ch.target_contact_id, e.kind, e.confidence, e.provenance
            FROM {chosen} ch JOIN connections e ON e.to_id = ch.sponsor_id AND e.from_id = ch.target_contact_id
        )
        SELECT sponsor_id, target_contact_id, tie.tie_kind, tie.confidence, tie.provenance
        FROM (SELECT sponsor_id, target_contact_id,
                     arg_max({{'tie_kind': kind, 'confidence': confidence, 'provenance': provenance}},
                             (confidence, kind, provenance)) AS tie
              FROM found GROUP BY sponsor_id, target_contact_id)
    """
