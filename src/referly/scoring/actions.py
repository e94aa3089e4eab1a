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

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

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


@dataclass
class Action:
    rank: int
    sponsor_id: int
    sponsor_account_id: int
    teammate_id: int
    target_account_id: int
    target_contact_id: int
    score: float
    channel: str
    explanation: str
    components: dict[str, Any] = field(default_factory=dict)


def next_best_actions(con: duckdb.DuckDBPyConnection, factors: dict[str, float], per_sponsor: int) -> list[Action]:
    """Every scorable (sponsor, target account) scored in DuckDB, the best chosen, and only those explained."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE candidates AS {_scored_sql(factors)}")
    order = con.sql(
        "SELECT sponsor_id, target_account_id FROM candidates ORDER BY action_score DESC, sponsor_id, target_account_id"
    ).fetchnumpy()
    chosen = choose(order["sponsor_id"].tolist(), order["target_account_id"].tolist(), per_sponsor)
    pairs = pa.table({"sponsor_id": [s for s, _ in chosen], "target_account_id": [t for _, t in chosen]})
    con.register("chosen", pairs)
    rows = con.sql(_details_sql()).to_arrow_table().to_pylist()
    details = {(r["sponsor_id"], r["target_account_id"]): r for r in rows}
    con.unregister("chosen")
    return [_action(rank, details[key]) for rank, key in enumerate(chosen, 1)]


def choose(sponsors: list[int], targets: list[int], per_sponsor: int) -> list[tuple[int, int]]:
    """Best first: each target account once, through its best sponsor still under the cap of ``per_sponsor``."""
    taken: set[int] = set()
    per: dict[int, int] = {}
    chosen: list[tuple[int, int]] = []
    for sponsor, target in zip(sponsors, targets, strict=True):
        if target in taken or per.get(sponsor, 0) >= per_sponsor:
            continue
        taken.add(target)
        per[sponsor] = per.get(sponsor, 0) + 1
        chosen.append((sponsor, target))
    return chosen


def _scored_sql(factors: dict[str, float]) -> str:
    fit_floor, moment_floor = factors["fit_floor"], factors["moment_floor"]
    sponsor_band = SIZE_BANDS.format(e="sa.employees")
    target_band = SIZE_BANDS.format(e="ta.employees")
    return f"""
        WITH blocked AS (
            SELECT DISTINCT account_id FROM opportunities WHERE stage IN ('proposal', 'negotiation')
            UNION SELECT DISTINCT target_account_id FROM referrals
                  WHERE stage NOT IN ('won', 'lost', 'declined', 'no_response', 'withdrawn')
        ),
        early AS (SELECT DISTINCT account_id FROM opportunities WHERE stage IN ('prospecting', 'qualification'))
        SELECT p.sponsor_id, p.target_account_id, s.score AS sponsor_score,
               coalesce(m.moment_strength, 0) AS moment_strength,
               sa.industry = ta.industry AS same_industry, ({sponsor_band}) = ({target_band}) AS same_size,
               e.account_id IS NOT NULL AS early_deal,
               s.score / 100 * p.path_strength * ({fit_floor} + {1 - fit_floor} * p.fit / 100)
                 * (1 + {factors["same_industry"]} * (sa.industry = ta.industry)::INT
                      + {factors["same_size_band"]} * (({sponsor_band}) = ({target_band}))::INT)
                 * ({moment_floor} + {1 - moment_floor} * coalesce(m.moment_strength, 0))
                 * CASE WHEN e.account_id IS NULL THEN 1.0 ELSE {factors["early_deal"]} END AS action_score
        FROM paths_fit p
        JOIN sponsor_scores s ON s.contact_id = p.sponsor_id AND NOT s.gated
        JOIN accounts sa ON sa.id = p.sponsor_account_id JOIN accounts ta ON ta.id = p.target_account_id
        LEFT JOIN moments m ON m.contact_id = p.sponsor_id
        LEFT JOIN early e ON e.account_id = p.target_account_id
        WHERE p.target_account_id NOT IN (SELECT account_id FROM blocked)
        """


def _details_sql() -> str:
    return """
        SELECT p.*, c.sponsor_score, c.moment_strength, c.same_industry, c.same_size, c.early_deal, c.action_score,
               m.moment, m.moment_days_left, m.moment_detail,
               p.fit AS target_fit, p.tier AS target_tier,
               sa.name AS sponsor_account, ta.name AS target_account, ta.industry AS target_industry,
               sc.first_name || ' ' || sc.last_name AS sponsor_name, sc.title AS sponsor_title,
               tc.first_name || ' ' || tc.last_name AS target_name, tc.title AS target_title,
               tm.name AS teammate_name
        FROM chosen ch
        JOIN candidates c ON c.sponsor_id = ch.sponsor_id AND c.target_account_id = ch.target_account_id
        JOIN paths_fit p ON p.sponsor_id = ch.sponsor_id AND p.target_account_id = ch.target_account_id
        JOIN contacts sc ON sc.id = p.sponsor_id JOIN accounts sa ON sa.id = p.sponsor_account_id
        JOIN contacts tc ON tc.id = p.target_contact_id JOIN accounts ta ON ta.id = p.target_account_id
        JOIN teammates tm ON tm.id = p.teammate_id
        LEFT JOIN moments m ON m.contact_id = p.sponsor_id
        """


def _action(rank: int, row: dict[str, Any]) -> Action:
    return Action(
        rank=rank,
        sponsor_id=row["sponsor_id"],
        sponsor_account_id=row["sponsor_account_id"],
        teammate_id=row["teammate_id"],
        target_account_id=row["target_account_id"],
        target_contact_id=row["target_contact_id"],
        score=round(float(row["action_score"]), 6),
        channel=channel(row),
        explanation=explain(row),
        components=_components(row),
    )


def channel(row: dict[str, Any]) -> str:
    """LinkedIn (a forwardable note) for declared and board ties; a call when our tie is close; else e-mail."""
    if row["tie_kind"] in ("declared", "board_seat"):
        return "linkedin"
    return "call" if row["tie"] >= 0.6 else "email"


def _components(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
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
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in ((k, row[k]) for k in keys)}


def explain(row: dict[str, Any]) -> str:
    """The top factors, in the words a sales lead would use."""
    parts = [
        f"{row['sponsor_name']} ({row['sponsor_title'] or 'contact'} at {row['sponsor_account']}) can introduce "
        f"{row['target_name']} ({row['target_title'] or 'contact'} at {row['target_account']}): "
        f"{TIE_WORDS.get(row['tie_kind'], row['tie_kind'])} ({row['provenance'][:1].lower()}{row['provenance'][1:]})."
    ]
    if row["moment"]:
        detail = f" ({row['moment_detail']})" if row["moment_detail"] else ""
        parts.append(
            f"Now is a good time: {MOMENT_WORDS.get(row['moment'], row['moment'])}{detail}, "
            f"{row['moment_days_left']} days left in the window."
        )
    parts.append(
        f"Sponsor score {row['sponsor_score']:.0f}/100; {row['teammate_name']} knows them best "
        f"(strength {row['tie']:.2f})."
    )
    fit = f"{row['target_account']} fits the ICP: tier {row['target_tier']} ({row['target_fit']:.0f}/100"
    fit += f"; meets {', '.join(row['criteria_met'])})" if row["criteria_met"] else ")"
    if row["same_industry"]:
        fit += f", and is in {row['target_industry']} like {row['sponsor_account']}"
    parts.append(fit + ".")
    if row["early_deal"]:
        parts.append("Already an early deal in our pipeline: the referral would be influenced, not sourced.")
    return " ".join(parts)
