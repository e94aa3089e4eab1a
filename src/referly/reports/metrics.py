"""The metric registry: every figure of the monthly review, declared once.

Each ``Metric`` names its slug, label, section of the pack, unit, minimum sample and period, says in one sentence
what it means, and points to the function that computes it from the records read as of the end of the
month (``referly.reports.queries``); ``multi_touch`` also reads the touches of the window's deals itself
(``referly.reports.journeys``). ``docs/reports.md`` explains each one, and what it does not prove.
"""

from __future__ import annotations

from referly.errors import NotFound
from referly.reports import deals, funnel, multitouch, referrers, volume
from referly.reports.evidence import MINIMUM_SAMPLE
from referly.reports.queries import Records
from referly.reports.tables import Metric

EXACT = 0
"""The minimum of a metric made of exact counts and sums: always shown."""

REGISTRY: tuple[Metric, ...] = (
    Metric(
        "asks_per_month",
        "Asks per month",
        "volume",
        "count",
        EXACT,
        "window",
        "Asks logged in the asks ledger each month: referral asks, and asks of every kind.",
        volume.asks_per_month,
    ),
    Metric(
        "referrals_per_month",
        "Referrals per month by stage",
        "volume",
        "count",
        EXACT,
        "window",
        "Referrals that entered requested, introduced, opportunity and won each month (first entry of each).",
        volume.referrals_per_month,
    ),
    Metric(
        "script_outcomes",
        "Outcomes per ask script",
        "volume",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Per ask script: referrals started in the window, the share that reached an introduction, and wins.",
        volume.outcomes_by_script,
    ),
    Metric(
        "referrer_nps",
        "Referrers' NPS",
        "volume",
        "nps",
        MINIMUM_SAMPLE,
        "window",
        "Net promoter score of the contacts who referred, beside the other contacts who answered in the window.",
        volume.referrer_nps,
    ),
    Metric(
        "stage_conversion",
        "Stage-to-stage conversion",
        "funnel",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Of the referrals that entered a stage in the window, the share that reached the next one (or later).",
        funnel.stage_conversion,
    ),
    Metric(
        "deals_won",
        "Deals won this month",
        "deals",
        "count",
        EXACT,
        "month",
        "Deals closed won in the reviewed month and their amount, referral against other sources.",
        deals.deals_won,
    ),
    Metric(
        "win_rate_by_source",
        "Win rate by source",
        "deals",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Won over decided (won + lost) deals closed in the window, by opportunity source.",
        deals.win_rate_by_source,
    ),
    Metric(
        "deal_size_by_source",
        "Average deal size by source",
        "deals",
        "amount",
        MINIMUM_SAMPLE,
        "window",
        "Mean amount of the deals won in the window, by opportunity source, with a bootstrap interval.",
        deals.deal_size_by_source,
    ),
    Metric(
        "cycle_time",
        "Cycle time to a won deal",
        "deals",
        "days",
        MINIMUM_SAMPLE,
        "window",
        "Median days from the ask (referrals) or from creation (deals) to won; open deals censored, lost left out.",
        deals.cycle_time,
    ),
    Metric(
        "revenue_by_referring_client",
        "Revenue and pipeline per referring client",
        "referrers",
        "amount",
        EXACT,
        "window",
        "Amount won in the window and open pipeline at the end, for deals a client account referred.",
        referrers.revenue_by_referring_client,
    ),
    Metric(
        "revenue_by_referrer",
        "Revenue and pipeline per referrer",
        "referrers",
        "amount",
        EXACT,
        "window",
        "Amount won in the window and open pipeline at the end, for deals a client contact referred.",
        referrers.revenue_by_referrer,
    ),
    Metric(
        "leaderboard_owners",
        "Teammates: referrals asked, introduced and won",
        "referrers",
        "count",
        EXACT,
        "window",
        "Per referral owner: referrals that entered requested, introduced and won in the window.",
        referrers.leaderboard_owners,
    ),
    Metric(
        "leaderboard_clients",
        "Referring clients: referrals started, introduced and won",
        "referrers",
        "count",
        EXACT,
        "window",
        "Per referring client account: referrals started, introduced and won in the window.",
        referrers.leaderboard_clients,
    ),
    Metric(
        "friction",
        "Friction: where referrals are lost",
        "friction",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Per stage, the referrals that ended there (declined, no response, withdrawn, lost); the first loses most.",
        funnel.friction,
    ),
    Metric(
        "stale_referrals",
        "Stale referrals",
        "friction",
        "count",
        EXACT,
        "as of",
        f"Referrals under way at the end of the month with no move for {funnel.STALE_DAYS} days or more.",
        funnel.stale_referrals,
    ),
    Metric(
        "referral_share",
        "Share of new pipeline sourced by referrals",
        "goal",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Amount of new opportunities with source referral over the amount of all new opportunities.",
        deals.referral_share,
    ),
    Metric(
        "attribution",
        "Sourced, influenced and suspected",
        "attribution",
        "amount",
        EXACT,
        "window",
        "Referrals started in the window by their credit, with the amount won and the pipeline still open.",
        deals.attribution_totals,
    ),
    Metric(
        "multi_touch",
        "Multi-touch attribution of won deals",
        "attribution",
        "share",
        MINIMUM_SAMPLE,
        "window",
        "Deals closed in the window as journeys of recorded touches: each model's share of the won deals by channel.",
        multitouch.multi_touch,
    ),
)

BY_SLUG = {m.slug: m for m in REGISTRY}
assert len(BY_SLUG) == len(REGISTRY), "metric slugs are unique"


def metric(slug: str) -> Metric:
    try:
        return BY_SLUG[slug]
    except KeyError:
        raise NotFound(f"No metric {slug!r}: choose one of {', '.join(BY_SLUG)}") from None


def compute_all(records: Records) -> dict[str, dict[str, object]]:
    """Every registered metric's JSON, by slug, in registry order."""
    return {m.slug: m.run(records) for m in REGISTRY}
