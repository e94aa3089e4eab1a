"""Charts of the review pack as inline SVG, drawn here: no script, no font, no file from anywhere else.

``chart_data`` picks the numbers each chart needs out of the pack's figures (it is stored with a frozen review);
the ``*_svg`` functions draw them. Each chart says what it shows and its evidence label in its caption, and
draws "insufficient data" where a figure has none rather than a bar of zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from referly.reports.evidence import INSUFFICIENT
from referly.reports.queries import LADDER
from referly.reports.wording import number

ACCENT = "#2563eb"
ACCENT_LIGHT = "#93c5fd"
ACCENT_PALE = "#dbeafe"
GOAL = "#dc2626"
MUTED = "#6b7280"
GRID = "#e5e7eb"
INK = "#111827"
WIDTH = 720


def _value(cell: Mapping[str, Any]) -> float | None:
    value = cell.get("value")
    return None if value is None or cell.get("status") == INSUFFICIENT else float(value)


def chart_data(pack: Mapping[str, Any]) -> dict[str, Any]:
    """The numbers behind each chart, taken from the pack's figures (no new computation)."""
    metrics = pack["metrics"]
    conversion = {row["key"]: row["cells"]["rate"] for row in metrics["stage_conversion"]["rows"]}
    entered = metrics["stage_conversion"]["extra"]["entered"]
    funnel = []
    for i, stage in enumerate(LADDER):
        step = conversion.get(f"{stage} → {LADDER[i + 1]}") if i + 1 < len(LADDER) else None
        funnel.append(
            {
                "stage": stage,
                "entered": entered[stage],
                "next_rate": None if step is None else _value(step),
                "next_n": None if step is None else step["n"],
            }
        )
    trajectory = pack["trajectory"]
    cycle = []
    for row in metrics["cycle_time"]["rows"]:
        cell = row["cells"]["median"]
        interval = cell.get("interval") or {}
        cycle.append(
            {
                "path": row["key"],
                "median": _value(cell),
                "low": interval.get("low"),
                "high": interval.get("high"),
                "n": cell["n"],
                "status": cell.get("status"),
            }
        )

    def board(slug: str, first: str) -> list[dict[str, Any]]:
        return [
            {
                "name": row["key"],
                "first": row["cells"][first]["value"],
                "introduced": row["cells"]["introduced"]["value"],
                "won": row["cells"]["won"]["value"],
            }
            for row in metrics[slug]["rows"]
        ]

    return {
        "period": metrics["stage_conversion"]["period"],
        "as_of": pack["as_of"],
        "funnel": funnel,
        "trend": {
            "months": metrics["referral_share"]["extra"]["trend"],
            "goal": trajectory["goal_share"],
            "path": trajectory["path_by_month"],
            "deadline": trajectory["deadline"],
        },
        "cycle_time": cycle,
        "leaderboards": {
            "clients": {
                "title": "Referring clients",
                "first": "Started",
                "rows": board("leaderboard_clients", "identified"),
            },
            "owners": {"title": "Teammates", "first": "Asked", "rows": board("leaderboard_owners", "requested")},
        },
    }


def _text(
    x: float, y: float, words: str, *, size: int = 12, anchor: str = "start", fill: str = INK, bold: bool = False
) -> str:
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>'
        f"{escape(words)}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"{extra}/>'


def _svg(height: float, title: str, body: Sequence[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def funnel_svg(data: Mapping[str, Any], lang: str = "en") -> str:
    """Referrals entering each stage, as centred bars narrowing down, with the step conversion between them."""
    steps = data["funnel"]
    top = max((s["entered"] for s in steps), default=0) or 1
    row, gap, left = 30, 22, 160
    span = WIDTH - left - 40
    body: list[str] = []
    y = 10.0
    for s in steps:
        width = span * s["entered"] / top
        x = left + (span - width) / 2
        body.append(_rect(x, y, max(width, 2), row, ACCENT if s["stage"] != "won" else "#059669", ' rx="3"'))
        body.append(_text(left - 10, y + 20, s["stage"].capitalize(), anchor="end", bold=True))
        label_fill = "#ffffff" if width > 60 else INK
        body.append(
            _text(
                left + span / 2,
                y + 20,
                number(s["entered"], "count", lang=lang),
                anchor="middle",
                fill=label_fill,
                bold=True,
            )
        )
        y += row
        if s["next_n"] is not None:
            rate = s["next_rate"]
            words = (
                f"↓ {rate:.0%} move on (n = {s['next_n']})"
                if rate is not None
                else f"↓ {INSUFFICIENT} (n = {s['next_n']})"
            )
            body.append(_text(left + span / 2, y + 15, words, size=11, anchor="middle", fill=MUTED))
            y += gap
    return _svg(y + 8, "Referral funnel: referrals that entered each stage in the window", body)


def trend_svg(data: Mapping[str, Any]) -> str:
    """Referral share of new pipeline per month as bars, the goal as a dashed line, the path as a dotted one."""
    trend = data["trend"]
    months = trend["months"]
    goal = float(trend["goal"])
    path: Mapping[str, float] = trend["path"]
    shares = [m["share"] for m in months if m["share"] is not None]
    ceiling = float(max([goal * 1.2, *shares, *path.values(), 0.1]))
    left, right, top, height = 48, 20, 16, 200
    bottom = top + height
    slot = (WIDTH - left - right) / max(len(months), 1)
    body: list[str] = []

    def y_of(share: float) -> float:
        return bottom - height * share / ceiling

    for tick in range(5):
        share = ceiling * tick / 4
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y_of(share):.1f}" y2="{y_of(share):.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 6, y_of(share) + 4, f"{share:.0%}", size=10, anchor="end", fill=MUTED))
    for i, m in enumerate(months):
        x = left + i * slot
        if m["share"] is not None:
            body.append(
                _rect(x + slot * 0.18, y_of(m["share"]), slot * 0.64, bottom - y_of(m["share"]), ACCENT, ' rx="2"')
            )
        else:
            body.append(_text(x + slot / 2, bottom - 6, f"n={m['n']}", size=9, anchor="middle", fill=MUTED))
        if m["share"] is not None:
            body.append(
                _text(x + slot / 2, y_of(m["share"]) - 4, f"{m['share']:.0%}", size=9, anchor="middle", fill=INK)
            )
        body.append(_text(x + slot / 2, bottom + 14, m["month"][2:], size=10, anchor="middle", fill=MUTED))
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{y_of(goal):.1f}" y2="{y_of(goal):.1f}" stroke="{GOAL}" '
        'stroke-width="2" stroke-dasharray="6 4"/>'
    )
    body.append(
        _text(
            WIDTH - right, y_of(goal) - 5, f"Goal {goal:.0%} by {trend['deadline']}", size=11, anchor="end", fill=GOAL
        )
    )
    points = [(left + i * slot + slot / 2, y_of(path[m["month"]])) for i, m in enumerate(months) if m["month"] in path]
    if len(points) >= 2:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{line}" fill="none" stroke="{MUTED}" stroke-width="2" stroke-dasharray="2 3"/>')
    for x, y in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{INK}" stroke-width="1.5"/>')
    if points:
        x, y = points[-1]
        body.append(_text(x - 8, y - 10, "on the path (scenario)", size=10, anchor="end", fill=INK))
    legend = (
        "Bars: the measured referral share of new pipeline over the 12 months to each month; "
        "n=… marks too few deals (insufficient data).",
        "Dashed line: the goal. Circles: the straight path to the goal (scenario).",
    )
    for i, words in enumerate(legend):
        body.append(_text(left, bottom + 34 + i * 14, words, size=10, fill=MUTED))
    return _svg(bottom + 58, "Referral share of new pipeline by month, against the goal", body)


def cycle_time_svg(data: Mapping[str, Any]) -> str:
    """Median days to a won deal per path, with the interval as a whisker; words where there is no median."""
    rows = data["cycle_time"]
    reach = [float(v) for r in rows for v in (r["median"], r["high"]) if v is not None]
    longest = max([*reach, 1.0])
    left, row = 230, 46
    span = WIDTH - left - 60
    body: list[str] = []
    for i, r in enumerate(rows):
        y = 10 + i * row
        body.append(_text(left - 10, y + 18, r["path"], anchor="end", bold=True))
        if r["median"] is None:
            words = INSUFFICIENT if r["status"] == INSUFFICIENT else "median not reached: over half still open"
            body.append(_text(left, y + 18, f"{words} (n = {r['n']})", fill=MUTED))
            continue
        width = span * r["median"] / longest
        body.append(_rect(left, y + 4, width, 16, ACCENT, ' rx="2"'))
        low = left + span * float(r["low"] if r["low"] is not None else r["median"]) / longest
        high = left + span * float(r["high"]) / longest if r["high"] is not None else WIDTH - 20
        body.append(
            f'<line x1="{low:.1f}" x2="{high:.1f}" y1="{y + 12}" y2="{y + 12}" stroke="{INK}" stroke-width="1.5"/>'
        )
        ends = f"{_bound(r['low'])} to {_bound(r['high'])}"
        words = f"median {r['median']:.0f} days, 95% CI {ends}, n = {r['n']}"
        body.append(_text(left, y + 34, words, size=10, fill=MUTED))
    return _svg(20 + row * len(rows), "Median days to a won deal, referral against other sources", body)


def _bound(days: float | None) -> str:
    return "not reached" if days is None else f"{days:.0f}"


def leaderboard_svg(board: Mapping[str, Any], lang: str = "en") -> str:
    """One row per referring client or teammate: started (or asked), introduced and won, as three thin bars."""
    rows = board["rows"]
    if not rows:
        return _svg(
            30, f"{board['title']}: none in the window", [_text(10, 20, "No referral in the window.", fill=MUTED)]
        )
    top = max(max(r["first"], r["introduced"], r["won"]) for r in rows) or 1
    left, row = 240, 34
    span = WIDTH - left - 50
    shades = (
        (board["first"], "first", ACCENT_PALE),
        ("Introduced", "introduced", ACCENT_LIGHT),
        ("Won", "won", ACCENT),
    )
    body: list[str] = []
    for i, (label, _, colour) in enumerate(shades):
        body.append(_rect(left + i * 110, 6, 12, 12, colour))
        body.append(_text(left + i * 110 + 16, 16, label, size=11, fill=MUTED))
    for i, r in enumerate(rows):
        y = 28 + i * row
        name = r["name"] if len(r["name"]) <= 34 else r["name"][:33] + "…"
        body.append(_text(left - 10, y + 17, name, anchor="end"))
        for j, (_, key, colour) in enumerate(shades):
            width = span * float(r[key]) / top
            body.append(_rect(left, y + 2 + j * 9, max(width, 1), 8, colour))
            body.append(
                _text(left + width + 4, y + 9 + j * 9, number(float(r[key]), "count", lang=lang), size=9, fill=MUTED)
            )
    return _svg(34 + row * len(rows), f"Leaderboard: {board['title']}", body)
