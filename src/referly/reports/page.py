"""The report pack as one self-contained HTML page (inline CSS and SVG, nothing fetched), and as PDF.

The PDF is that same page printed by headless Chromium (the Debian package ``chromium``), with name resolution
switched off so that the page cannot reach anything even by mistake.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from referly import config
from referly.errors import Unavailable
from referly.reports import charts
from referly.reports.briefing import LEGEND, fx_sentences, fx_view, headline, summary_view
from referly.reports.pack import KEY_HEADERS, SCENARIO_NOTICE
from referly.reports.review import Context
from referly.reports.wording import SECTIONS, caption, moment, number, read

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 180


def _figure(cell: Mapping[str, Any], currency: str, unit: str | None = None, lang: str = "en") -> dict[str, str]:
    reading = read(cell, currency, unit, lang)
    return {"value": reading.value, "label": reading.label, "kind": reading.kind}


def _table(metric: Mapping[str, Any], context: Context) -> dict[str, Any]:
    columns = metric["columns"]
    rows = metric["rows"]
    keyed = any(row["key"] is not None for row in rows)
    return {
        "slug": metric["slug"],
        "label": metric["label"],
        "meaning": metric["meaning"],
        "caption": caption(metric, context.zone),
        "key_header": KEY_HEADERS.get(metric["slug"], "") if keyed else None,
        "headers": [c["label"] for c in columns],
        "has_notes": any(row["note"] for row in rows),
        "rows": [
            {
                "key": row["key"],
                "note": row["note"],
                "cells": [_figure(row["cells"][c["key"]], context.currency, c["unit"], context.lang) for c in columns],
            }
            for row in rows
        ],
        "note": metric["note"],
    }


def _stories(context: Context) -> list[dict[str, Any]]:
    found = []
    for story in context.content["stories"]:
        deal = story["deal"]
        amount = None
        if deal and deal["amount"] is not None:
            amount = number(deal["amount"], "amount", deal["currency"], context.lang)
        found.append({**story, "deal_amount": amount})
    return found


def view(context: Context) -> dict[str, Any]:
    """Everything the page template shows, already worded: the template only lays it out."""
    content = context.content
    lang = context.lang
    data = content.get("charts") or charts.chart_data(content)
    trajectory = content["trajectory"]
    period = data["period"]
    drawn = {
        "funnel": charts.funnel_svg(data, lang),
        "trend": charts.trend_svg(data),
        "cycle_time": charts.cycle_time_svg(data),
        "clients": charts.leaderboard_svg(data["leaderboards"]["clients"], lang),
        "owners": charts.leaderboard_svg(data["leaderboards"]["owners"], lang),
    }
    as_of = moment(data["as_of"], context.zone)
    measured = f"Measured {period['start']} to {period['end']}, as of {as_of}."
    beside = {
        "funnel": [(drawn["funnel"], f"Referrals that entered each stage, and the share that moved on. {measured}")],
        "deals": [(drawn["cycle_time"], f"Kaplan–Meier median days to won, with its 95% interval. {measured}")],
        "referrers": [
            (drawn["clients"], f"Referring clients. {measured}"),
            (drawn["owners"], f"Teammates who own referrals. {measured}"),
        ],
        "goal": [
            (
                drawn["trend"],
                "Each bar: the referral share of new pipeline over the 12 months to that month (a bar needs n ≥ 10 "
                f"deals). The goal and the path to it (scenario). Records as of {as_of}.",
            )
        ],
    }
    sections = []
    for key, title in SECTIONS:
        sections.append(
            {
                "key": key,
                "title": title,
                "tables": [_table(m, context) for m in context.metrics_in(key)],
                "charts": [{"svg": svg, "caption": words} for svg, words in beside.get(key, [])],
            }
        )
    scenarios = content["scenarios"]
    summary = summary_view(content, lang)
    created = content["metrics"]["referral_share"]["rows"][-1]["cells"]["all"]["n"]
    return {
        "empty": created == 0 and not any(step["entered"] for step in data["funnel"]),
        "month": content["month"],
        "lang": lang,
        "summary": summary,
        "headline": headline(summary) if summary else "",
        "fx": fx_view(content, lang),
        "fx_sentences": fx_sentences(content),
        "legend": LEGEND.replace("*", ""),
        "origin": context.origin(),
        "staleness": context.staleness,
        "staleness_due": context.review_due,
        "as_of": moment(content["as_of"], context.zone),
        "window": content["window"]["period"],
        "notes": content["notes"],
        "sections": sections,
        "stories": _stories(context),
        "stale": content["stale"],
        "trajectory": {
            **trajectory,
            "baseline_figure": _figure(trajectory["baseline"], context.currency, lang=lang),
            "current_figure": _figure(trajectory["current"], context.currency, lang=lang),
            "path_figure": _figure(trajectory["path"], context.currency, lang=lang) if trajectory["path"] else None,
            "goal_text": f"{trajectory['goal_share']:.0%}",
        },
        "charts": drawn,
        "chart_caption": measured,
        "scenarios": {
            "notice": SCENARIO_NOTICE,
            "figures": [
                {"title": f["title"], **_figure(f, context.currency, lang=lang)} for f in scenarios["figures"].values()
            ],
            "assumptions": [a["text"] for a in scenarios["assumptions"]] + [scenarios["caveat"]],
            "missing": scenarios["missing"],
        },
        "decisions": context.pack.decisions,
    }


def as_html(context: Context) -> str:
    from django.template.loader import render_to_string

    return render_to_string("reports/pack.html", view(context))


# --- PDF ---------------------------------------------------------------------------------------------------


def chromium() -> str:
    """The Chromium executable: REFERLY_CHROMIUM if set, else the first of the usual names on PATH."""
    configured = config.CHROMIUM.value().strip()
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise Unavailable(f"{config.CHROMIUM.name} names {configured}, which is not an executable file")
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise Unavailable(
        "PDF needs headless Chromium, which is not installed: install the package chromium "
        "(apt-get install chromium) or set REFERLY_CHROMIUM; --format html writes the same page without it"
    )


def write_pdf(html: str, out: Path) -> None:
    """Print ``html`` to ``out`` as PDF with headless Chromium."""
    executable = chromium()
    with tempfile.TemporaryDirectory(prefix="referly-pdf-") as folder:
        page = Path(folder) / "review.html"
        printed = Path(folder) / "review.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"Chromium did not print the PDF within {PDF_TIMEOUT_SECONDS} seconds") from None
        except OSError as exc:
            raise Unavailable(f"Cannot run Chromium ({executable}): {exc.strerror or exc}") from None
        if not printed.is_file() or not printed.read_bytes().startswith(b"%PDF"):
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise Unavailable(f"Chromium did not write the PDF (exit code {done.returncode}): {last}")
        try:
            shutil.copyfile(printed, out)
        except OSError as exc:
            raise Unavailable(f"Cannot write {out}: {exc.strerror or exc}") from None
