"""Next best actions: ranked (sponsor, target account, target contact, path) suggestions, explained.

    score = sponsor/100 × path × (0.3 + 0.7 × fit/100) × congruence × (0.6 + 0.4 × moment) × position

(the numbers are the defaults of the [actions] settings)

- congruence: 1, +0.15 when sponsor and target share an industry, +0.10 when they share a size band
  (buyers trust peers who look like them);
- moment: the strength of the sponsor's best open moment (0 when none: asking is still possible,
  just less likely to work);
- position: targets already clients, deep in our pipeline (proposal or later) or already referred are
  left out (no sourced referral is possible); an early open deal halves the score (the referral would
  be influenced, not sourced).

Quality over volume: at most ``per_sponsor`` suggestions per sponsor, and each target account is
suggested once, through its best sponsor.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from referly.kit.sql import sql_text
from referly.scoring.paths import path_ties_sql

_CLOSED_REFERRALS = "'won', 'lost', 'declined', 'no_response', 'withdrawn'"
SIZE_BANDS = "CASE WHEN {e} < 50 THEN 0 WHEN {e} < 250 THEN 1 WHEN {e} < 1000 THEN 2 WHEN {e} < 5000 THEN 3 ELSE 4 END"
MOMENT_WORDS = {
    "measured_success": "a measured win",
    "renewal": "a renewal",
    "expansion": "an expansion",
    "case_study": "a case study",
    "testimonial": "a testimonial",
    "webinar": "a webinar",
    "onboarding_completed": "onboarding completed",
    "nps_promoter": "a promoter NPS answer",
}
TIE_WORDS = {
    "former_colleagues": "former colleagues",
    "declared": "a declared connection",
    "board_seat": "a shared board seat",
    "past_introduction": "a past introduction",
}


ACTION_SCHEMA = pa.schema(
    [
        ("rank", pa.int64()),
        ("sponsor_id", pa.int64()),
        ("sponsor_account_id", pa.int64()),
        ("teammate_id", pa.int64()),
        ("target_account_id", pa.int64()),
        ("target_contact_id", pa.int64()),
        ("score", pa.float64()),
        ("channel", pa.string()),
        ("explanation", pa.string()),
        ("components", pa.string()),  # JSON: the figures the score and the explanation come from
    ]
)


SKIP_REASONS = ("sponsor_gated", "late_deal", "already_referred", "target_taken", "per_sponsor_cap")
"""Why a warm path (sponsor, target account) is not suggested, each path counted under its first reason:
the sponsor is gated, the target has a deal at proposal or later, the target is already referred, the target
is suggested through a better sponsor, the sponsor already has ``per_sponsor`` suggestions."""


def next_best_actions(con: duckdb.DuckDBPyConnection, factors: dict[str, float], per_sponsor: int) -> pa.Table:
    """Every scorable (sponsor, target account) scored in DuckDB, the best chosen, and only those explained:
    one row per action (``ACTION_SCHEMA``), best first."""
    return next_best_actions_counted(con, factors, per_sponsor)[0]


def next_best_actions_counted(
    con: duckdb.DuckDBPyConnection, factors: dict[str, float], per_sponsor: int
) -> tuple[pa.Table, dict[str, int]]:
    """``next_best_actions``, and how many warm paths were left out for each of ``SKIP_REASONS``: every path of
    ``paths`` is either an action or counted under exactly one reason."""
    skipped = _skipped_paths(con)
    order = con.sql(
        f"SELECT sponsor_id, target_account_id FROM ({_scored_sql(factors, 'paths')}) "
        "ORDER BY action_score DESC, sponsor_id, target_account_id"
    ).fetchnumpy()
    picked = np.asarray(choose(order["sponsor_id"], order["target_account_id"], per_sponsor), dtype=np.int64)
    skipped.update(_not_chosen(np.asarray(order["target_account_id"], dtype=np.int64), picked))
    chosen = pa.table(
        {
            "rank": np.arange(1, len(picked) + 1, dtype=np.int64),
            "sponsor_id": np.asarray(order["sponsor_id"], dtype=np.int64)[picked],
            "target_account_id": np.asarray(order["target_account_id"], dtype=np.int64)[picked],
        }
    )
    con.register("chosen", chosen)
    # The chosen paths first, as a table of their own: every later join starts from these few rows.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chosen_paths AS SELECT ch.rank, p.* FROM chosen ch JOIN paths p "
        "ON p.sponsor_id = ch.sponsor_id AND p.target_account_id = ch.target_account_id"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE chosen_ties AS " + path_ties_sql("chosen_paths"))
    components = ", ".join(f"{k} := round({k}, 4)" if k in _ROUNDED else f"{k} := {k}" for k in _KEYS)
    actions = con.sql(
        f"""SELECT rank, sponsor_id, sponsor_account_id, teammate_id, target_account_id, target_contact_id,
                   round(action_score, 6) AS score, {_CHANNEL_SQL} AS channel, {_EXPLANATION_SQL} AS explanation,
                   to_json(struct_pack({components}))::VARCHAR AS components
            FROM ({_details_sql(factors)}) ORDER BY rank"""
    ).to_arrow_table()
    con.unregister("chosen")
    return actions.cast(ACTION_SCHEMA), skipped


def scored_paths(con: duckdb.DuckDBPyConnection, factors: dict[str, float]) -> pa.Table:
    """Every scorable warm path before each target is given to its best sponsor: the score the ranking gives a
    pair, listed or not (sponsor_id, target_account_id, action_score), with the parts it is the product of
    (sponsor_score, path_strength, fit, moment_strength)."""
    return con.sql(
        "SELECT sponsor_id, target_account_id, action_score, sponsor_score, path_strength, fit, moment_strength "
        f"FROM ({_scored_sql(factors, 'paths')})"
    ).to_arrow_table()


def _skipped_paths(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The paths ``_scored_sql`` leaves out, each under its first reason (the order of ``SKIP_REASONS``)."""
    found = con.execute(
        f"""WITH late AS (SELECT DISTINCT account_id FROM opportunities WHERE stage IN ('proposal', 'negotiation')),
                 referred AS (SELECT DISTINCT target_account_id AS account_id FROM referrals
                              WHERE stage NOT IN ({_CLOSED_REFERRALS}))
            SELECT count(*) FILTER (WHERE s.gated),
                   count(*) FILTER (WHERE NOT s.gated AND l.account_id IS NOT NULL),
                   count(*) FILTER (WHERE NOT s.gated AND l.account_id IS NULL AND r.account_id IS NOT NULL)
            FROM paths p JOIN sponsor_scores s ON s.contact_id = p.sponsor_id
            LEFT JOIN late l ON l.account_id = p.target_account_id
            LEFT JOIN referred r ON r.account_id = p.target_account_id"""
    ).fetchall()
    gated, late, referred = (int(n or 0) for n in found[0])
    return {"sponsor_gated": gated, "late_deal": late, "already_referred": referred}


def _not_chosen(targets: np.ndarray[Any, Any], picked: np.ndarray[Any, Any]) -> dict[str, int]:
    """Of the candidates ``choose`` passed over: those whose target was chosen before them (through a better
    sponsor), and the rest, whose sponsor had reached the cap."""
    if targets.size == 0:
        return {"target_taken": 0, "per_sponsor_cap": 0}
    # Per candidate: where its target was chosen (past the end: never). ``choose`` takes each target once.
    code = _codes(targets)
    chosen_at = np.full(int(code.max()) + 1, targets.size, dtype=np.int64)
    chosen_at[code[picked]] = picked
    first_pick = chosen_at[code]
    passed = np.ones(targets.size, dtype=bool)
    passed[picked] = False
    taken = passed & (first_pick < np.arange(targets.size))
    return {"target_taken": int(taken.sum()), "per_sponsor_cap": int((passed & ~taken).sum())}


def choose(sponsors: np.ndarray[Any, Any], targets: np.ndarray[Any, Any], per_sponsor: int) -> list[int]:
    """Best first: each target account once, through its best sponsor still under the cap of ``per_sponsor``.

    ``sponsors`` and ``targets`` are in order, best candidate first; returns the positions chosen. The
    greedy pass goes by blocks: a block's candidates whose target was taken or whose sponsor was full
    before it are dropped at once, and only the rest are looked at one by one.
    """
    sponsor_code, target_code = _codes(sponsors), _codes(targets)
    taken = np.zeros(int(target_code.max(initial=-1)) + 1, dtype=bool)
    count = np.zeros(int(sponsor_code.max(initial=-1)) + 1, dtype=np.int64)
    chosen: list[int] = []
    block = 4_096
    for start in range(0, len(sponsor_code), block):
        s, t = sponsor_code[start : start + block], target_code[start : start + block]
        open_ = np.flatnonzero(~taken[t] & (count[s] < per_sponsor))
        for i, sponsor, target in zip(open_.tolist(), s[open_].tolist(), t[open_].tolist(), strict=True):
            if taken[target] or count[sponsor] >= per_sponsor:
                continue
            taken[target] = True
            count[sponsor] += 1
            chosen.append(start + i)
    return chosen


def _codes(ids: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Small non-negative integers standing for ``ids``: the ids less the smallest, when that keeps them few
    (ids of one table mostly are), else their rank among the distinct ids."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        return ids
    low = int(ids.min())
    if int(ids.max()) - low < 4 * ids.size + 1_000_000:
        return ids - low
    return np.unique(ids, return_inverse=True)[1]


def _scored_sql(factors: dict[str, float], paths: str) -> str:
    """Each scorable path of ``paths`` (a relation shaped as ``paths``) with its action score and its parts."""
    fit_floor, moment_floor = factors["fit_floor"], factors["moment_floor"]
    sponsor_band = SIZE_BANDS.format(e="sa.employees")
    target_band = SIZE_BANDS.format(e="ta.employees")
    return f"""
        WITH blocked AS (
            SELECT DISTINCT account_id FROM opportunities WHERE stage IN ('proposal', 'negotiation')
            UNION SELECT DISTINCT target_account_id FROM referrals WHERE stage NOT IN ({_CLOSED_REFERRALS})
        ),
        early AS (SELECT DISTINCT account_id FROM opportunities WHERE stage IN ('prospecting', 'qualification'))
        SELECT p.sponsor_id, p.target_account_id, s.score AS sponsor_score, p.path_strength, f.fit,
               coalesce(m.moment_strength, 0) AS moment_strength,
               sa.industry = ta.industry AS same_industry, ({sponsor_band}) = ({target_band}) AS same_size,
               e.account_id IS NOT NULL AS early_deal,
               s.score / 100 * p.path_strength * ({fit_floor} + {1 - fit_floor} * f.fit / 100)
                 * (1 + {factors["same_industry"]} * (sa.industry = ta.industry)::INT
                      + {factors["same_size_band"]} * (({sponsor_band}) = ({target_band}))::INT)
                 * ({moment_floor} + {1 - moment_floor} * coalesce(m.moment_strength, 0))
                 * CASE WHEN e.account_id IS NULL THEN 1.0 ELSE {factors["early_deal"]} END AS action_score
        FROM {paths} p JOIN fit f ON f.account_id = p.target_account_id
        JOIN sponsor_scores s ON s.contact_id = p.sponsor_id AND NOT s.gated
        JOIN accounts sa ON sa.id = s.account_id JOIN accounts ta ON ta.id = p.target_account_id
        LEFT JOIN moments m ON m.contact_id = p.sponsor_id
        LEFT JOIN early e ON e.account_id = p.target_account_id
        WHERE p.target_account_id NOT IN (SELECT account_id FROM blocked)
        """


def _details_sql(factors: dict[str, float]) -> str:
    scored = _scored_sql(factors, "chosen_paths")
    return f"""
        SELECT p.*, s.account_id AS sponsor_account_id, s.teammate_id, s.tie,
               t.tie_kind, t.confidence, t.provenance, f.criteria_met,
               c.sponsor_score, c.moment_strength, c.same_industry, c.same_size, c.early_deal, c.action_score,
               m.moment, m.moment_days_left, m.moment_detail,
               f.fit AS target_fit, f.tier AS target_tier,
               sa.name AS sponsor_account, ta.name AS target_account, ta.industry AS target_industry,
               concat_ws(' ', sc.first_name, sc.last_name) AS sponsor_name, sc.title AS sponsor_title,
               concat_ws(' ', tc.first_name, tc.last_name) AS target_name, tc.title AS target_title,
               tm.name AS teammate_name
        FROM chosen_paths p
        JOIN ({scored}) c ON c.sponsor_id = p.sponsor_id AND c.target_account_id = p.target_account_id
        JOIN fit f ON f.account_id = p.target_account_id
        JOIN chosen_ties t ON t.sponsor_id = p.sponsor_id AND t.target_contact_id = p.target_contact_id
        JOIN sponsor_scores s ON s.contact_id = p.sponsor_id
        JOIN contacts sc ON sc.id = p.sponsor_id JOIN accounts sa ON sa.id = s.account_id
        JOIN contacts tc ON tc.id = p.target_contact_id JOIN accounts ta ON ta.id = p.target_account_id
        JOIN teammates tm ON tm.id = s.teammate_id
        LEFT JOIN moments m ON m.contact_id = p.sponsor_id
        """


_ROUNDED = ("sponsor_score", "path_strength", "tie", "confidence", "target_fit", "moment_strength")
_KEYS = (
    "sponsor_score",
    "path_strength",
    "paths",
    "tie",
    "confidence",
    "tie_kind",
    "target_fit",
    "target_tier",
    "moment",
    "moment_strength",
    "moment_days_left",
    "same_industry",
    "same_size",
    "early_deal",
)


def _words(column: str, words: dict[str, str]) -> str:
    """SQL naming ``column``'s value in words (the value itself when it has none)."""
    cases = " ".join(f"WHEN {sql_text(k)} THEN {sql_text(v)}" for k, v in words.items())
    return f"CASE {column} {cases} ELSE {column} END"


# The channel: LinkedIn (a forwardable note) for declared and board ties; a call when our tie is close; else e-mail.
_CHANNEL_SQL = (
    "CASE WHEN tie_kind IN ('declared', 'board_seat') THEN 'linkedin' WHEN tie >= 0.6 THEN 'call' ELSE 'email' END"
)

# The explanation: the top factors, in the words a sales lead would use. A sentence that ends on a name
# ending in a full stop ("Acme S.A.") keeps one: the outer replace folds ".." (never "...") into ".".
_EXPLANATION_SQL = f"""regexp_replace(concat_ws(' ',
    format('{{}} ({{}} at {{}}) can introduce {{}} ({{}} at {{}}): {{}} ({{}}).',
           sponsor_name, coalesce(NULLIF(sponsor_title, ''), 'contact'), sponsor_account,
           target_name, coalesce(NULLIF(target_title, ''), 'contact'), target_account,
           {_words("tie_kind", TIE_WORDS)},
           lower(left(coalesce(provenance, ''), 1)) || substr(coalesce(provenance, ''), 2)),
    CASE WHEN coalesce(moment, '') <> '' THEN format('Now is a good time: {{}}{{}}, {{}} days left in the window.',
         {_words("moment", MOMENT_WORDS)},
         CASE WHEN coalesce(moment_detail, '') <> '' THEN ' (' || moment_detail || ')' ELSE '' END,
         moment_days_left) END,
    format('Sponsor score {{:.0f}}/100; {{}} knows them best (strength {{:.2f}}).', sponsor_score, teammate_name, tie),
    format('{{}} fits the ICP: tier {{}} ({{:.0f}}/100{{}}){{}}.', target_account, target_tier, target_fit,
           CASE WHEN len(criteria_met) > 0 THEN '; meets ' || array_to_string(criteria_met, ', ') ELSE '' END,
           CASE WHEN same_industry THEN format(', and is in {{}} like {{}}', target_industry, sponsor_account)
                ELSE '' END),
    CASE WHEN early_deal THEN 'Already an early deal in our pipeline: the referral would be influenced, not sourced.'
    END), '([^.])\\.\\.([^.]|$)', '\\1.\\2', 'g')"""
