"""Warm paths: teammate → sponsor → target contact at a target account, found with joins.

Edge one is the teammate's relationship strength with the sponsor (the best-placed teammate);
edge two a known tie between the sponsor and someone at a prospect (former colleagues, a declared
connection, a shared board, a past introduction), with its confidence. A path's strength is the
product of its edges; the paths from one sponsor into one account combine by noisy-OR,
``1 − Π(1 − p)``: any one of them may carry the introduction; the strongest path (on a tie, the
lowest contact id) names the target contact. Fixed depth; no graph library.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


def warm_paths(con: duckdb.DuckDBPyConnection, min_path: float) -> pa.Table:
    """Per (sponsor, target account): the combined path strength and its strongest path's parts.

    Needs ``strengths`` (a, b, strength) and ``pool`` (id, account_id: the possible sponsors) registered.
    """
    return con.sql(
        f"""
        WITH best_tie AS (
            SELECT b AS sponsor_id, arg_max(a, (strength, -a)) AS teammate_id, max(strength) AS tie
            FROM strengths GROUP BY b
        ),
        edges AS (
            SELECT from_id AS x, to_id AS y, kind, confidence, provenance FROM connections
            UNION ALL SELECT to_id, from_id, kind, confidence, provenance FROM connections
        ),
        hops AS (
            SELECT e.x AS sponsor_id, bt.teammate_id, bt.tie, e.y AS target_contact_id,
                   pool.account_id AS sponsor_account_id,
                   tc.account_id AS target_account_id, e.kind AS tie_kind, e.confidence, e.provenance,
                   bt.tie * e.confidence AS p
            FROM edges e
            JOIN pool ON pool.id = e.x
            JOIN best_tie bt ON bt.sponsor_id = e.x
            JOIN contacts tc ON tc.id = e.y
            JOIN accounts ta ON ta.id = tc.account_id
            WHERE ta.lifecycle = 'prospect' AND tc.account_id <> pool.account_id AND NOT tc.do_not_contact
        )
        SELECT sponsor_id, target_account_id, sponsor_account_id, teammate_id, tie, path_strength, paths,
               best.target_contact_id, best.tie_kind, best.provenance, best.confidence
        FROM (
            SELECT sponsor_id, target_account_id,
                   any_value(sponsor_account_id) AS sponsor_account_id,
                   any_value(teammate_id) AS teammate_id, any_value(tie) AS tie,
                   1 - product(1 - p) AS path_strength, count(*) AS paths,
                   arg_max({{'target_contact_id': target_contact_id, 'tie_kind': tie_kind,
                             'provenance': provenance, 'confidence': confidence}},
                           (p, -target_contact_id, tie_kind)) AS best
            FROM hops
            GROUP BY sponsor_id, target_account_id
            HAVING 1 - product(1 - p) >= {min_path}
        )
        """
    ).to_arrow_table()
