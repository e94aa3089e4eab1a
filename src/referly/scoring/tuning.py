"""Tie strength tuned to a team's own log: the half-life chosen on the earlier part, judged on the later part.

Pure: undirected events in (a, b, kind 1..6, ts), figures out. The log is split in time, with no leakage:

- *choice*: pairs from the events before ``cutoff − horizon``, labelled by whether they interact again in
  ``[cutoff − horizon, cutoff)``; each candidate half-life ranks them and the best ROC AUC is chosen;
- *judgement*: pairs from the events before ``cutoff``, labelled on ``[cutoff, cutoff + horizon)``; the chosen
  half-life is compared with the raw count of touches and recency, with pair-bootstrap 95% intervals of the
  AUC differences (the same resampled pairs for both rankings).

The decayed sums of every candidate half-life come from one grouping of the events (numpy ``bincount``), not one
reduction per half-life. Below ``MIN_POSITIVES`` positives or ``MIN_NEGATIVES`` negatives a split gives no AUC:
its counts say why ("insufficient data").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from referly.errors import InvalidInput
from referly.scoring.config import StrengthSettings
from referly.scoring.strength import DAY, SUMS, strength_of
from referly.scoring.ties import MIN_NEGATIVES, MIN_POSITIVES, RESAMPLES, Bootstrap, again_within, interval, roc_auc

HALF_LIVES: tuple[float, ...] = (3.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


def check_horizon(ts: IntArray, cutoff: int, horizon_days: float) -> None:
    """Refuse a horizon that runs past the log's last day: its late pairs would look dead when unobserved."""
    last = int(ts.max())
    end_of_last_day = (last // 86_400 + 1) * 86_400
    if cutoff + horizon_days * DAY > end_of_last_day:
        raise InvalidInput(
            f"the log ends on {day(last)}: a {horizon_days:g}-day horizon after {day(cutoff)} runs past it; "
            "choose an earlier --cutoff or a shorter --horizon",
            code="horizon_past_log",
        )


def default_cutoff(ts: IntArray, horizon_days: float) -> int:
    """Where three quarters of the log is past, or earlier if the horizon would run past the log's end."""
    last_day_end = (int(ts.max()) // 86_400 + 1) * 86_400
    return int(min(float(np.quantile(ts, 0.75)), last_day_end - horizon_days * DAY))


@dataclass(frozen=True)
class Pairs:
    """Every undirected pair that touched before ``as_of``, its plain counts and decayed sums per half-life."""

    as_of: int
    a: IntArray
    b: IntArray
    touches: FloatArray
    last_ts: FloatArray
    sums: dict[float, np.ndarray[Any, np.dtype[np.float64]]]  # half-life -> (pairs, 6) decayed sums per kind

    def table(self, half_life_days: float) -> pa.Table:
        """The pair table ``strength_of`` reads, for one half-life."""
        d = self.sums[half_life_days]
        return pa.table({name: d[:, k] for k, name in enumerate(SUMS)})


def pair_sums(events: pa.Table, as_of: int, half_lives: tuple[float, ...]) -> Pairs:
    """The decayed sums ``Σ 2^(−age/h)`` per pair and kind for every h, from one grouping of the events."""
    ts = events.column("ts").to_numpy().astype(np.int64)
    before = ts < as_of
    a = events.column("a").to_numpy().astype(np.int64)[before]
    b = events.column("b").to_numpy().astype(np.int64)[before]
    kind = events.column("kind").to_numpy().astype(np.int64)[before]
    ts = ts[before]
    width = int(max(a.max(initial=0), b.max(initial=0))) + 1
    keys, group = np.unique(a * width + b, return_inverse=True)
    n = len(keys)
    touches = np.bincount(group, minlength=n).astype(np.float64)
    last_ts = np.full(n, -np.inf)
    np.maximum.at(last_ts, group, ts.astype(np.float64))
    age = (ts - as_of).astype(np.float64)
    slot = group * len(SUMS) + (kind - 1)
    rate = np.log(2.0) / DAY
    sums: dict[float, np.ndarray[Any, np.dtype[np.float64]]] = {
        h: np.asarray(
            np.bincount(slot, weights=np.exp(age * (rate / h)), minlength=n * len(SUMS)), dtype=np.float64
        ).reshape(n, len(SUMS))
        for h in half_lives
    }
    return Pairs(as_of, keys // width, keys % width, touches, last_ts, sums)


def labels_of(pairs: Pairs, events: pa.Table, start: int, end: int) -> BoolArray:
    """Whether each pair interacts again in ``[start, end)``."""
    return again_within(pairs.a, pairs.b, events, start, end)


@dataclass(frozen=True)
class Split:
    """One labelled window: pairs from the events before ``cutoff``, positives within ``[cutoff, end)``."""

    first_event: str
    cutoff: str
    end: str
    pairs: int
    positives: int
    negatives: int

    @property
    def sufficient(self) -> bool:
        return self.positives >= MIN_POSITIVES and self.negatives >= MIN_NEGATIVES

    def describe(self) -> str:
        return (
            f"{self.pairs:,} pairs with a touch from {self.first_event} to before {self.cutoff}, {self.positives:,} "
            f"of them touching again by {self.end}"
        )


@dataclass(frozen=True)
class Difference:
    baseline: str
    difference: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Tuning:
    status: str  # "measured", or "insufficient data" with the counts of the split that lacked them
    candidates: tuple[float, ...]
    horizon_days: float
    choice_split: Split
    choice_auc: dict[str, float]  # half-life (as text) -> AUC on the choice split; empty when insufficient
    chosen_half_life_days: float | None
    judged_split: Split
    auc: dict[str, float]  # on the judged split: "tuned", "default", "count", "recency"
    auc_ci: dict[str, tuple[float, float]]
    differences: list[Difference]
    resamples: int
    message: str
    verdict: str = ""  # against the half-life in force, from the paired interval on the judged split
    best_on_choice: float | None = None  # the chosen half-life (the best on the choice split)
    best_minus_in_force_ci: tuple[float, float] | None = None  # its paired 95% interval there against the one in force


def _split(events_ts: IntArray, pairs: Pairs, labels: BoolArray, horizon_days: float) -> Split:
    positives = int(labels.sum())
    return Split(
        first_event=day(int(events_ts.min())),
        cutoff=day(pairs.as_of),
        end=day(int(pairs.as_of + horizon_days * DAY)),
        pairs=len(labels),
        positives=positives,
        negatives=len(labels) - positives,
    )


def insufficient(split: Split, what: str) -> str:
    return (
        f"insufficient data {what}: {split.positives} positive and {split.negatives} negative pairs "
        f"(at least {MIN_POSITIVES} and {MIN_NEGATIVES} needed), {split.describe()}"
    )


def tune_ties(
    events: pa.Table,
    cutoff: int,
    horizon_days: float,
    settings: StrengthSettings,
    candidates: tuple[float, ...] = HALF_LIVES,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Tuning:
    """Choose the half-life on ``[.., cutoff − horizon) → [cutoff − horizon, cutoff)``, judge it after ``cutoff``."""
    ts = events.column("ts").to_numpy().astype(np.int64)
    horizon = int(horizon_days * DAY)
    halves = tuple(sorted({*candidates, settings.half_life_days}))
    early = pair_sums(events, cutoff - horizon, halves)
    early_labels = labels_of(early, events, cutoff - horizon, cutoff)
    choice = _split(ts, early, early_labels, horizon_days)
    late = pair_sums(events, cutoff, halves)
    late_labels = labels_of(late, events, cutoff, cutoff + horizon)
    judged = _split(ts, late, late_labels, horizon_days)
    empty = Tuning("insufficient data", candidates, horizon_days, choice, {}, None, judged, {}, {}, [], 0, "")
    if not choice.sufficient:
        return replace(empty, message=insufficient(choice, "to choose a half-life"))
    if not judged.sufficient:
        return replace(empty, message=insufficient(judged, "to judge the choice"))

    def strength(p: Pairs, h: float) -> FloatArray:
        return strength_of(p.table(h), replace(settings, half_life_days=h)).strength

    choice_auc = {f"{h:g}": round(roc_auc(strength(early, h), early_labels), 4) for h in candidates}
    best = float(max(choice_auc, key=lambda h: (choice_auc[h], -abs(float(h) - settings.half_life_days))))
    chosen, gap = best, None
    if best != settings.half_life_days:  # how clear the choice was, on the earlier part: shown, not acted on
        early_boot = Bootstrap(early_labels, resamples, seed)
        in_force = strength(early, settings.half_life_days)
        gap = interval(early_boot.aucs(strength(early, best)) - early_boot.aucs(in_force))
    scores = {
        "tuned": strength(late, chosen),
        "default": strength(late, settings.half_life_days),
        "count": late.touches,
        "recency": late.last_ts,
    }
    boot = Bootstrap(late_labels, resamples, seed)
    resampled = {name: boot.aucs(s) for name, s in scores.items()}
    auc = {name: round(roc_auc(s, late_labels), 4) for name, s in scores.items()}
    differences = [
        Difference(name, round(auc["tuned"] - auc[name], 4), interval(resampled["tuned"] - resampled[name]))
        for name in ("count", "recency", "default")
    ]
    gain = differences[-1]
    verdict = (
        "better than the half-life in force"
        if gain.ci[0] > 0
        else "worse than the half-life in force"
        if gain.ci[1] < 0
        else "on par with the half-life in force (no clear difference)"
    )
    return Tuning(
        "measured",
        candidates,
        horizon_days,
        choice,
        choice_auc,
        chosen,
        judged,
        auc,
        {name: interval(v) for name, v in resampled.items()},
        differences,
        resamples,
        f"half-life {chosen:g} days chosen on {choice.describe()}; judged on {judged.describe()}",
        verdict if chosen != settings.half_life_days else "the same as the half-life in force",
        best,
        gap,
    )


def provenance(tuning: Tuning, log: str) -> str:
    """Why a settings version holds the tuned half-life: what was measured, on what, when."""
    if tuning.chosen_half_life_days is None:
        raise InvalidInput(f"Nothing to apply: {tuning.message}", code="insufficient_data")
    versus = ", ".join(f"{d.baseline} {tuning.auc[d.baseline]:.3f}" for d in tuning.differences)
    low, high = tuning.auc_ci["tuned"]
    return (
        f"evaluate ties --tune on {log}, measured AUC {tuning.auc['tuned']:.3f} [{low:.3f}, {high:.3f}] "
        f"(vs {versus}) on {tuning.judged_split.pairs:,} pairs, cut-off {tuning.judged_split.cutoff}, "
        f"{tuning.horizon_days:g}-day horizon, {tuning.judged_split.positives:,} positives; "
        f"half-life {tuning.chosen_half_life_days:g} days chosen on the log before {tuning.judged_split.cutoff}"
        f" ({tuning.verdict} on the later part)"
    )
