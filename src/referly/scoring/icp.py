"""ICP fit: how well an account matches the ideal customer profile, criterion by criterion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from referly.scoring.config import Criterion, IcpSettings


@dataclass(frozen=True)
class Fit:
    score: np.ndarray[Any, np.dtype[np.float64]]  # 0-100 per account
    tier: list[str]  # A, B or C
    criteria: list[list[dict[str, Any]]]  # per account: name, met (True/False/None = unknown), value


def _value(account: dict[str, Any], field: str) -> Any:
    if field.startswith("custom."):
        custom = account.get("custom") or {}
        if isinstance(custom, str):
            custom = json.loads(custom or "{}")
        return custom.get(field.removeprefix("custom."))
    return account.get(field)


def meets(criterion: Criterion, value: Any) -> bool | None:
    """True or False, or None when the value is unknown (an unknown value never counts as met)."""
    if value is None or value == "":
        return None
    if criterion.any_of:
        return str(value).casefold() in {v.casefold() for v in criterion.any_of}
    if criterion.between is not None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        low, high = criterion.between
        return low <= number <= high
    return None


def icp_fit(accounts: list[dict[str, Any]], settings: IcpSettings) -> Fit:
    total = sum(c.weight for c in settings.criteria) or 1.0
    scores = np.zeros(len(accounts))
    tiers: list[str] = []
    details: list[list[dict[str, Any]]] = []
    for i, account in enumerate(accounts):
        rows = []
        for criterion in settings.criteria:
            value = _value(account, criterion.field)
            met = meets(criterion, value)
            rows.append({"name": criterion.name, "met": met, "value": value, "weight": criterion.weight})
            if met:
                scores[i] += criterion.weight
        scores[i] = 100.0 * scores[i] / total
        tiers.append("A" if scores[i] >= settings.tier_a else "B" if scores[i] >= settings.tier_b else "C")
        details.append(rows)
    return Fit(scores, tiers, details)
