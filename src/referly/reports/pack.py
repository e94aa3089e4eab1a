"""The report pack as Markdown or JSON, from a month's pack content (frozen or computed now).

It opens with the executive summary (``referly.reports.summary``), then the details. A measured figure is written
plain, with its n and interval where they say something; "insufficient data" and scenarios are marked, and the
"Scenarios" section comes last, apart from the measured figures, with its assumptions listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from referly.reports.briefing import LEGEND, fx_sentences, headline, summary_view
from referly.reports.review import Context
from referly.reports.wording import SECTIONS, caption, moment, number, read

KEY_HEADERS = {
    "asks_per_month": "Month",
    "referrals_per_month": "Month",
    "script_outcomes": "Script",
    "referrer_nps": "Who",
    "stage_conversion": "Step",
    "friction": "Step",
    "stale_referrals": "Stage",
    "deals_won": "Source",
    "win_rate_by_source": "Source",
    "deal_size_by_source": "Source",
    "cycle_time": "Path",
    "revenue_by_referring_client": "Referring client",
    "revenue_by_referrer": "Referrer",
    "leaderboard_owners": "Teammate",
    "leaderboard_clients": "Referring client",
    "referral_share": "Period",
    "attribution": "Credit",
    "multi_touch": "Channel",
}
SCENARIO_NOTICE = (
    "Everything in this section is a scenario: what follows if the assumptions listed below hold. "
    "These are not measurements."
)


def as_json(context: Context) -> str:
    """The pack as JSON: every figure with its label, plus where the pack comes from and the decisions."""
    document = {
        "review": {
            "month": context.content["month"],
            "frozen": context.pack.frozen,
            "frozen_at": None if context.pack.frozen_at is None else context.pack.frozen_at.isoformat(),
            "decisions": context.pack.decisions,
            "origin": context.origin(),
            "staleness": context.staleness,
        },
        **context.content,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(metric: Mapping[str, Any], context: Context) -> Iterator[str]:
    yield f"### {metric['label']}"
    yield ""
    yield f"{metric['meaning']} {caption(metric, context.zone)}"
    yield ""
    rows = metric["rows"]
    columns = metric["columns"]
    if not rows:
        yield "Nothing recorded in this period."
        yield ""
        return
    keyed = any(row["key"] is not None for row in rows)
    head = ([KEY_HEADERS.get(metric["slug"], "")] if keyed else []) + [c["label"] for c in columns]
    if any(row["note"] for row in rows):
        head.append("Note")
    yield "| " + " | ".join(head) + " |"
    yield "|" + "---|" * len(head)
    for row in rows:
        cells = [str(read(row["cells"][c["key"]], context.currency, c["unit"], context.lang)) for c in columns]
        line = ([row["key"]] if keyed else []) + cells
        if len(head) > len(line):
            line.append(row["note"])
        yield "| " + " | ".join(_cell(str(x)) for x in line) + " |"
    yield ""
    if metric["note"]:
        yield f"**{metric['note']}**"
        yield ""


def _stories(context: Context) -> Iterator[str]:
    stories = context.content["stories"]
    period = context.content["window"]["period"]
    if not stories:
        yield f"No referral was won from {period['start']} to {period['end']}."
        yield ""
        return
    yield (
        f"Referrals won from {period['start']} to {period['end']}, newest first (records as of "
        f"{moment(context.content['as_of'], context.zone)})."
    )
    yield ""
    for story in stories:
        deal = story["deal"]
        if deal:
            amount = (
                "amount not recorded"
                if deal["amount"] is None
                else number(deal["amount"], "amount", deal["currency"], context.lang)
            )
            what = f"{deal['name']}, {amount}"
        else:
            what = "no linked opportunity"
        when = " (this month)" if story["in_month"] else ""
        yield (
            f"- **Referral {story['referral']}**, won {story['won_on']}{when}: {story['path']}. "
            f"Referrer (sponsor) {story['referrer']} at {story['referrer_account']}; owner {story['owner']}; "
            f"{story['channel']}, script {story['script'] or 'not recorded'}; credit {story['attribution']}. "
            f"Deal: {what}; {story['days_from_ask']} days from the ask."
        )
    yield ""


def _stale(context: Context) -> Iterator[str]:
    items = context.content["stale"]
    yield "### Stale items"
    yield ""
    if not items:
        yield "No referral under way had gone 21 days without a move at the end of the month."
        yield ""
        return
    when = moment(context.content["as_of"], context.zone)
    yield f"Referrals under way with no move for 21 days or more (as of {when}):"
    yield ""
    for i in items:
        yield (
            f"- Referral {i['referral']}: {i['stage']} since {i['since']} ({i['days']} days), "
            f"{i['referrer']} ({i['referrer_account']}) → {i['target_account']}; owner {i['owner']}"
        )
    yield ""


def _trajectory(context: Context) -> Iterator[str]:
    t = context.content["trajectory"]
    cur, lang = context.currency, context.lang
    yield (
        f"Goal: {t['goal_share']:.0%} of new pipeline sourced by referrals by {t['deadline']}, "
        f"{t['goal_months']} months from {t['start']} (REFERLY_REFERRAL_GOAL_SHARE, REFERLY_REFERRAL_GOAL_MONTHS)."
    )
    yield ""
    yield f"- Baseline, the 12 months to {t['start']}: {read(t['baseline'], cur, lang=lang)}"
    yield f"- Now, the 12 months to {context.content['month']}: {read(t['current'], cur, lang=lang)}"
    if t["path"]:
        path = t["path"]
        assumptions = "; ".join(path["assumptions"])
        yield f"- On a straight path to the goal, this month: {read(path, cur, lang=lang)}; assumptions: {assumptions}"
    else:
        yield "- No path to the goal is drawn: the baseline has insufficient data."
    yield ""


def _scenarios(context: Context) -> Iterator[str]:
    s = context.content["scenarios"]
    yield "## Scenarios"
    yield ""
    yield f"> {SCENARIO_NOTICE}"
    yield ""
    if s["figures"]:
        yield "| Scenario | Value |"
        yield "|---|---|"
        for figure in s["figures"].values():
            yield f"| {_cell(figure['title'])} | {_cell(str(read(figure, context.currency, lang=context.lang)))} |"
        yield ""
    for missing in s["missing"]:
        yield f"- Cannot be computed: {missing}."
    yield "Assumptions (each says whether it is measured, stated or a planning default):"
    yield ""
    for a in s["assumptions"]:
        yield f"- {a['text']}"
    yield f"- {s['caveat']}"
    yield ""
    yield "Try others with `referly plan` (e.g. `--ask-to-intro 0.4 --deal-size 30000`)."
    yield ""


def _summary(context: Context) -> Iterator[str]:
    yield "## Executive summary"
    yield ""
    view = summary_view(context.content, context.lang)
    if view is None:
        yield "This review was frozen before the pack had an executive summary: the details follow."
        yield ""
        for line in fx_sentences(context.content):
            yield line
            yield ""
        return
    yield headline(view)
    yield ""
    yield f"| What referrals produced | {view['month']} | {view['last_month']} | Quarter {view['quarter']} | Change |"
    yield "|---|---|---|---|---|"
    for row in view["rows"]:
        yield f"| {row['label']} | {row['month']} | {row['last_month']} | {row['quarter']} | {row['change']} |"
    yield ""
    for line in fx_sentences(context.content):
        yield line
        yield ""
    when = "won this month" if view["celebrate_in_month"] else "none won this month; the latest won in the window"
    yield f"### Referrals to celebrate ({when})"
    yield ""
    if not view["celebrate"]:
        yield "No referral was won in the window."
    for i, c in enumerate(view["celebrate"], start=1):
        deal = f"{c['deal']}, {c['amount_text'] or 'amount not recorded'}" if c["deal"] else "no linked opportunity"
        yield (
            f"{i}. **{c['referrer']}** ({c['referrer_account']}) introduced {c['target']}, won {c['won_on']}: "
            f"{deal}; owner {c['owner']} (referral {c['referral']})."
        )
    yield ""
    yield "### Actions that matter"
    yield ""
    if not view["actions"]:
        yield "No scoring run yet: `referly score` ranks the next best actions."
    else:
        yield f"The top next best actions of the latest scoring run (as of {view['actions_as_of']}):"
        yield ""
    for i, a in enumerate(view["actions"], start=1):
        yield (
            f"{i}. {a['owner']}: ask **{a['sponsor']}** ({a['sponsor_account']}) to introduce {a['target_contact']} "
            f"at {a['target_account']}, by {a['channel']}. {a['explanation']} (action {a['id']})"
        )
    yield ""


def as_markdown(context: Context) -> str:
    c = context.content
    window = c["window"]["period"]
    lines = [f"# Referral review {c['month']}", "", context.origin(), "", f"**{context.staleness}**", ""]
    lines += _summary(context)
    lines += [
        "## About these figures",
        "",
        (
            f"Records as of {moment(c['as_of'], context.zone)}. Monthly counts cover {c['month']}; rates, medians and "
            f"shares cover the trailing window {window['start']} to {window['end']}."
        ),
        "",
        LEGEND,
        "",
    ]
    for note in c["notes"]:
        lines += [f"> {note}", ""]
    for key, title in SECTIONS:
        lines += [f"## {title}", ""]
        if key == "stories":
            lines += _stories(context)
            continue
        if key == "goal":
            lines += _trajectory(context)
        for metric in context.metrics_in(key):
            lines += _table(metric, context)
        if key == "friction":
            lines += _stale(context)
    lines += ["---", ""]
    lines += _scenarios(context)
    lines += ["## Decisions", ""]
    decisions = context.pack.decisions
    lines += [f"- {d}" for d in decisions] if decisions else ["No decision recorded."]
    return "\n".join(lines).rstrip() + "\n"
