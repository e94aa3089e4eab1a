"""Warm paths: teammate → sponsor → target contact at a target account, found with joins.

Edge one is the teammate's relationship strength with the sponsor (the best-placed teammate);
edge two a known tie between the sponsor and someone at a prospect (former colleagues, a declared
connection, a shared board, a past introduction), with its confidence. A path's strength is the
product of its edges; the paths from one sponsor into one account combine by noisy-OR,
``1 − Π(1 − p)``: any one of them may carry the introduction; the strongest path (on a tie to
1e-12, the lowest contact id) names the target contact, and that contact's strongest tie with
the sponsor (on a tie, the kind, then the provenance, last in alphabetical order) names the
kind and provenance. Fixed depth; no graph library.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

# The strongest path of a group in one fixed-width number: its strength to 1e-12, then the lowest contact.
_BEST = "round(p * 1e12)::HUGEINT * 18446744073709551616 + (4611686018427387904 - target_contact_id::HUGEINT)"


def warm_paths(con: duckdb.DuckDBPyConnection, min_path: float) -> pa.Table:
    """Per (sponsor, target account): the combined path strength and the strongest path's target contact.

    Needs ``strengths`` (a, b, strength), ``pool`` (id, account_id: the possible sponsors), ``contacts``,
    ``accounts`` and ``connections`` registered. ``path_ties`` gives each chosen path's tie.
    """
    return con.sql(
        f"""
        WITH best_tie AS (
            SELECT b AS sponsor_id, arg_max(a, (strength, -a)) AS teammate_id, max(strength) AS tie
            FROM strengths GROUP BY b
        ),
        targets AS (
            SELECT c.id, c.account_id FROM contacts c JOIN accounts a ON a.id = c.account_id
            WHERE a.lifecycle = 'prospect' AND NOT c.do_not_contact
        ),
        ties AS (
            SELECT e.from_id AS sponsor_id, e.to_id AS target_contact_id, pool.account_id AS sponsor_account_id,
                   tc.account_id AS target_account_id, e.confidence
            FROM connections e JOIN pool ON pool.id = e.from_id JOIN targets tc ON tc.id = e.to_id
            UNION ALL
            SELECT e.to_id, e.from_id, pool.account_id, tc.account_id, e.confidence
            FROM connections e JOIN pool ON pool.id = e.to_id JOIN targets tc ON tc.id = e.from_id
        ),
        hops AS (
            SELECT t.*, bt.teammate_id, bt.tie, bt.tie * t.confidence AS p
            FROM ties t JOIN best_tie bt ON bt.sponsor_id = t.sponsor_id
            WHERE t.target_account_id <> t.sponsor_account_id
        )
        SELECT sponsor_id, target_account_id, sponsor_account_id, teammate_id, tie, path_strength, paths,
               (4611686018427387904 - (best % 18446744073709551616))::BIGINT AS target_contact_id
        FROM (
            SELECT sponsor_id, target_account_id,
                   any_value(sponsor_account_id) AS sponsor_account_id,
                   any_value(teammate_id) AS teammate_id, any_value(tie) AS tie,
                   1 - product(1 - p) AS path_strength, count(*) AS paths, max({_BEST}) AS best
            FROM hops
            GROUP BY sponsor_id, target_account_id
            HAVING 1 - product(1 - p) >= {min_path}
        )
        """
    ).to_arrow_table()


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
