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


def number(value: float | None, unit: str, currency: str = "USD") -> str:
    """``value`` written in ``unit``: share → %, amount → currency, days, NPS points, count."""
    if value is None:
        return NOT_REACHED
    if unit == "share":
        return f"{value:.1%}"
    if unit == "amount":
        return f"{currency} {value:,.0f}"
    if unit == "days":
        return f"{value:,.0f} days"
    if unit == "nps":
        return f"{value:+.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _bound(value: object, unit: str, currency: str) -> str:
    if value is None:
        return NOT_REACHED
    text = number(float(str(value)), unit, currency)
    return text.removesuffix(" days")


def interval_text(interval: Mapping[str, Any] | None, unit: str, currency: str) -> str:
    if not interval:
        return ""
    level = round(float(interval.get("level", 0.95)) * 100)
    low, high = _bound(interval.get("low"), unit, currency), _bound(interval.get("high"), unit, currency)
    return f"{level}% CI {low} to {high}"


@dataclass(frozen=True)
class Reading:
    """A figure as it reads: the value, then its evidence label with what backs it."""

    value: str
    label: str
    kind: str
    """``measured``, ``insufficient`` or ``scenario`` (or ``example``): for styling."""

    def __str__(self) -> str:
        return f"{self.value} ({self.label})" if self.label else self.value


def read(figure: Mapping[str, Any], currency: str = "USD", unit: str | None = None) -> Reading:
    """How a figure's JSON reads, e.g. ``30.0% (measured, n = 10, 95% CI 10.8% to 60.3%)``."""
    unit = unit or str(figure.get("unit") or "count")
    label = str(figure["label"])
    if figure.get("status") == INSUFFICIENT:
        return Reading(INSUFFICIENT, f"measured, n = {figure['n']}, needs {figure['minimum']}", "insufficient")
    if label == "scenario":
        return Reading(number(figure["value"], unit, currency), "scenario", "scenario")
    if label == "example":
        return Reading(number(figure["value"], unit, currency), "example", "example")
    parts = ["measured"]
    value = figure.get("value")
    exact_count = unit == "count" and figure.get("interval") is None and value == figure.get("n")
    if not exact_count:
        parts.append(f"n = {figure['n']}")
    if figure.get("events") is not None:
        parts.append(f"{figure['events']} won")
    ci = interval_text(figure.get("interval"), unit, currency)
    if ci:
        parts.append(ci)
    shown = number(None if value is None else float(value), unit, currency)
    if figure.get("status") == NOT_REACHED:
        shown = "median not reached"
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
