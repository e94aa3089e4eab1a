"""How a stored figure reads: its value in its unit, and its evidence label, for every output format.

Works on the JSON form of figures (``as_dict``), so a frozen review reads the same as a pack computed now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from referly.reports.evidence import INSUFFICIENT
from referly.reports.tables import NOT_REACHED

SECTIONS: tuple[tuple[str, str], ...] = (
    ("volume", "Volume and quality"),
    ("funnel", "Funnel"),
    ("deals", "Deals won"),
    ("stories", "Success stories"),
    ("referrers", "Top referrers"),
    ("friction", "Friction points"),
    ("goal", "Goal trajectory"),
    ("attribution", "Attribution"),
)


NBSP = "\u00a0"
WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "days": "jours",
        INSUFFICIENT: "données insuffisantes",
        "scenario": "scénario",
        "example": "exemple",
        "median not reached": "médiane non atteinte",
        "needs": "en faut",
        "won": "gagnés",
        "to": "à",
        NOT_REACHED: "non atteint",
    }
}


def word(text: str, lang: str) -> str:
    """A reading's word in ``lang`` (English when there is no translation)."""
    return WORDS.get(lang[:2], {}).get(text, text)


def grouped(value: float, decimals: int, lang: str = "en") -> str:
    """``value`` with its thousands grouped as ``lang`` writes them: EN 1,234,567.5, FR 1 234 567,5 (the space is a
    no-break space, so that a number never wraps)."""
    text = f"{value:,.{decimals}f}"
    if lang[:2] == "fr":
        return text.replace(",", "\0").replace(".", ",").replace("\0", NBSP)
    return text


def number(value: float | None, unit: str, currency: str = "USD", lang: str = "en") -> str:
    """``value`` written in ``unit`` and ``lang``: share → %, amount → currency, days, NPS points, count."""
    if value is None:
        return word(NOT_REACHED, lang)
    french = lang[:2] == "fr"
    if unit == "share":
        return f"{grouped(value * 100, 1, lang)}{NBSP if french else ''}%"
    if unit == "amount":
        return f"{grouped(value, 0, lang)}{NBSP}{currency}" if french else f"{currency} {grouped(value, 0, lang)}"
    if unit == "days":
        return f"{grouped(value, 0, lang)} {word('days', lang)}"
    if unit == "nps":
        return f"{value:+.0f}"
    return grouped(value, 0 if float(value).is_integer() else 1, lang)


def _bound(value: object, unit: str, currency: str, lang: str) -> str:
    if value is None:
        return word(NOT_REACHED, lang)
    text = number(float(str(value)), unit, currency, lang)
    return text.removesuffix(f" {word('days', lang)}")


def interval_text(interval: Mapping[str, Any] | None, unit: str, currency: str, lang: str = "en") -> str:
    if not interval:
        return ""
    level = round(float(interval.get("level", 0.95)) * 100)
    low, high = _bound(interval.get("low"), unit, currency, lang), _bound(interval.get("high"), unit, currency, lang)
    return f"{level}% CI {low} {word('to', lang)} {high}"


@dataclass(frozen=True)
class Reading:
    """A figure as it reads: the value, then what backs it. A measured figure is the plain case and carries no
    label word (only its n and interval where they say something); the other kinds are marked."""

    value: str
    label: str
    kind: str
    """``measured``, ``insufficient`` or ``scenario`` (or ``example``): for styling."""

    def __str__(self) -> str:
        return f"{self.value} ({self.label})" if self.label else self.value


def read(figure: Mapping[str, Any], currency: str = "USD", unit: str | None = None, lang: str = "en") -> Reading:
    """How a figure's JSON reads, e.g. ``30.0% (n = 10, 95% CI 10.8% to 60.3%)`` or ``EUR 120,000 (scenario)``."""
    unit = unit or str(figure.get("unit") or "count")
    label = str(figure["label"])
    if figure.get("status") == INSUFFICIENT:
        needs = f"n = {figure['n']}, {word('needs', lang)} {figure['minimum']}"
        return Reading(word(INSUFFICIENT, lang), needs, "insufficient")
    if label in ("scenario", "example"):
        return Reading(number(figure["value"], unit, currency, lang), word(label, lang), label)
    parts = []
    value = figure.get("value")
    exact = unit == "count" and figure.get("interval") is None and value == figure.get("n")
    if not exact:
        parts.append(f"n = {figure['n']}")
    if figure.get("events") is not None:
        parts.append(f"{figure['events']} {word('won', lang)}")
    ci = interval_text(figure.get("interval"), unit, currency, lang)
    if ci:
        parts.append(ci)
    shown = number(None if value is None else float(value), unit, currency, lang)
    if figure.get("status") == NOT_REACHED:
        shown = word("median not reached", lang)
    return Reading(shown, ", ".join(parts), "measured")


def moment(iso: str, zone: str) -> str:
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M} {zone}"


def caption(table: Mapping[str, Any], zone: str) -> str:
    """Where a metric's figures come from: its period, as-of moment and minimum sample."""
    period = table["period"]
    minimum = int(table["minimum"])
    rule = f" Estimates need n ≥ {minimum}." if minimum else " Exact counts and sums."
    if table["window"] == "as of":
        return f"Measured at the end of {period['end']}, as of {moment(table['as_of'], zone)}.{rule}"
    return f"Measured {period['start']} to {period['end']}, as of {moment(table['as_of'], zone)}.{rule}"
