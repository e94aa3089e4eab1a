"""How the opening of the pack reads: the executive summary, the conversion of amounts and the legend.

Works on the pack's JSON (``summary`` and ``fx``), so a frozen review reads as it did. ``summary_view`` and
``fx_view`` give the web templates the figures already written in the reader's language; the ``*_sentences``
functions give the English wording of the Markdown and HTML pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from referly.reports.wording import grouped, number, read

IMPORT_HINT = "referly fx import eurofxref-hist.csv"
ROWS: tuple[tuple[str, str], ...] = (
    ("sourced_pipeline", "Pipeline sourced by referrals"),
    ("influenced_pipeline", "Pipeline influenced by referrals"),
    ("won_revenue", "Won from referrals"),
    ("requested", "Referrals requested"),
    ("introduced", "Referrals introduced"),
    ("won", "Referrals won"),
)
COLUMNS = ("month", "last_month", "quarter")
LEGEND = (
    "How to read the figures: a plain figure is measured from our records (with n and its interval where they "
    "say something); *insufficient data* marks too few observations to show a number; *scenario* marks a figure "
    "that follows from stated assumptions; *example* marks an illustration."
)


def _change(now: Mapping[str, Any], before: Mapping[str, Any], lang: str) -> str:
    """The month against the month before, as a signed difference in the figure's unit."""
    if now.get("value") is None or before.get("value") is None:
        return ""
    delta = float(now["value"]) - float(before["value"])
    if delta == 0:
        return "="
    sign = "+" if delta > 0 else "−"
    return sign + grouped(abs(delta), 0, lang)


def summary_view(content: Mapping[str, Any], lang: str = "en") -> dict[str, Any] | None:
    """The summary's rows, referrals to celebrate and actions, numbers written for ``lang``; None for a pack
    frozen before the summary existed."""
    summary = content.get("summary")
    if not summary:
        return None
    currency = str(content["currency"])
    figures = summary["figures"]
    rows = []
    for key, label in ROWS:
        unit = "amount" if key.endswith(("_pipeline", "_revenue")) else "count"
        cells = {c: read(figures[c][key], currency, unit, lang).value for c in COLUMNS}
        rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                **cells,
                "change": _change(figures["month"][key], figures["last_month"][key], lang),
            }
        )
    celebrate = []
    for c in summary["celebrate"]:
        amount = None
        if c["amount"] is not None:
            amount = number(c["amount"], "amount", currency, lang)
        elif c["recorded_amount"] is not None:
            amount = number(c["recorded_amount"], "amount", c["recorded_currency"], lang)
        celebrate.append({**c, "amount_text": amount})
    quarter = figures["quarter"]["period"]
    return {
        "month": content["month"],
        "last_month": figures["last_month"]["period"]["start"][:7],
        "quarter": f"{quarter['start'][:7]} – {quarter['end'][:7]}",
        "rows": rows,
        "headline": {
            **{r["key"]: r["month"] for r in rows},
            "last_sourced": rows[0]["last_month"],
            "quarter_sourced": rows[0]["quarter"],
        },
        "celebrate": celebrate,
        "celebrate_in_month": bool(celebrate) and all(c["in_month"] for c in celebrate),
        "actions": summary["actions"],
        "actions_as_of": summary["actions"][0]["run_as_of"][:10] if summary["actions"] else None,
    }


def headline(view: Mapping[str, Any]) -> str:
    h = view["headline"]
    return (
        f"In {view['month']} referrals sourced {h['sourced_pipeline']} of new pipeline ({h['last_sourced']} in "
        f"{view['last_month']}, {h['quarter_sourced']} over the quarter {view['quarter']}), influenced "
        f"{h['influenced_pipeline']} and won {h['won_revenue']}. Referrals: {h['requested']} requested, "
        f"{h['introduced']} introduced, {h['won']} won."
    )


def fx_view(content: Mapping[str, Any], lang: str = "en") -> dict[str, Any] | None:
    """How many opportunities were converted to the base currency and how many are left out, by currency."""
    fx = content.get("fx")
    if not fx:
        return None
    converted, missing = fx["converted"], fx["missing"]

    def listed(counts: Mapping[str, int]) -> list[dict[str, str]]:
        return [{"currency": c, "count": grouped(n, 0, lang)} for c, n in counts.items()]

    return {
        "base": fx["base"],
        "lookback_days": fx["lookback_days"],
        "converted_total": grouped(sum(converted.values()), 0, lang),
        "converted": listed(converted),
        "missing_total": grouped(sum(missing.values()), 0, lang),
        "missing": listed(missing),
        "hint": IMPORT_HINT,
    }


def fx_sentences(content: Mapping[str, Any]) -> list[str]:
    """The conversion in English: what was converted, what is left out for want of a rate and how to add it."""
    view = fx_view(content)
    if view is None:
        return []
    base = view["base"]
    found = []
    if view["converted"]:
        listed = ", ".join(f"{c['count']} in {c['currency']}" for c in view["converted"])
        found.append(
            f"Amounts are in {base}. {view['converted_total']} opportunities recorded in other currencies ({listed}) "
            "were converted at the exchange rate of their close date (their creation date while open), or the "
            f"latest rate published up to {view['lookback_days']} days before."
        )
    else:
        found.append(f"Amounts are in {base}.")
    if view["missing"]:
        listed = ", ".join(f"{c['count']} in {c['currency']}" for c in view["missing"])
        found.append(
            f"Left out of every amount for want of an exchange rate: {view['missing_total']} opportunities "
            f"({listed}). They still count in counts and rates. Add the rates with: {IMPORT_HINT} "
            "(or upload the file on the dashboard: Reports, Add exchange rates)."
        )
    return found
