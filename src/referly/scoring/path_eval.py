"""Warm paths read as link prediction: do the pairs that paths connect meet next, on any interaction log?

Pure: undirected events (a, b, kind, ts) in, figures out. Events before the cut-off build each pair's
strength (``strength.py``) and the graph of ties. The *candidates* are the pairs of people active before the
cut-off with no tie between them and at least one common neighbour (reachable in two hops, the depth warm
paths use); a candidate is *positive* when its two people interact within the horizon after the cut-off.
Future pairs that no two-hop path reaches cannot be ranked by any model here and are counted apart.

Models, each a score per candidate (a, b) over its intermediaries w:

- ``paths``: Referly's warm paths, the noisy-OR ``1 − Π_w (1 − s(a,w) · s(w,b))`` of strength products;
- ``paths, hub-discounted``: the same paths, each divided by its intermediary's degree k(w) as resource
  allocation does, and summed: ``Σ_w (ε + s(a,w) · s(w,b)) / k(w)`` with ε = 0.03. A busy intermediary
  introduces each of its contacts less; the floor ε lets a cold path still count a little (without it,
  ``Σ_w s(a,w) · s(w,b) / k(w)`` scored below plain resource allocation at 4 of the 6 cut-offs of
  docs/evaluation.md);
- the classic baselines: common neighbours ``|N(a) ∩ N(b)|``, Adamic–Adar ``Σ_w 1 / ln k(w)``, resource
  allocation ``Σ_w 1 / k(w)``, Jaccard ``|N(a) ∩ N(b)| / |N(a) ∪ N(b)|`` and preferential attachment
  ``k(a) · k(b)``.

Figures per model: ROC AUC (equal scores count half) with its 95% interval (DeLong, DeLong & Clarke-Pearson
1988: a closed form, so ten million pairs cost no resampling), average precision and precision at k; for the
two path models, the paired DeLong difference to the best baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from referly.errors import InvalidInput
from referly.scoring.config import StrengthSettings
from referly.scoring.strength import reduce_events, strength_of
from referly.scoring.ties import MIN_NEGATIVES, MIN_POSITIVES
from referly.scoring.tuning import check_horizon, day

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

DAY = 86_400
FLOOR = 0.03  # what a path with no strength left still counts for, beside s(a,w) · s(w,b) in [0, 1]
PATHS = "paths"
HUB_DISCOUNTED = "paths, hub-discounted"
BASELINES = ("common neighbours", "Adamic-Adar", "resource allocation", "Jaccard", "preferential attachment")
MODELS = (PATHS, HUB_DISCOUNTED, *BASELINES)


@dataclass(frozen=True)
class ModelFigures:
    name: str
    auc: float
    auc_ci: tuple[float, float]
    average_precision: float
    precision_at: dict[int, float]
    # for the path models: AUC minus the best classic baseline's, with its paired 95% interval
    versus: str | None = None
    difference: float | None = None
    difference_ci: tuple[float, float] | None = None


@dataclass(frozen=True)
class PathEvaluation:
    cutoff: int
    horizon_days: float
    people: int  # active before the cut-off
    ties: int  # pairs with a touch before the cut-off
    candidates: int  # untied pairs reachable in two hops
    positives: int  # candidates that interact within the horizon
    negatives: int
    future_pairs: int  # untied pairs of active people that interact within the horizon
    unreachable_future_pairs: int  # of those, the ones no two-hop path reaches
    below_min_path: int  # positives whose noisy-OR path strength is below the production minimum
    min_path: float
    models: list[ModelFigures] = field(default_factory=list)

    @property
    def period(self) -> tuple[str, str]:
        start = datetime.fromtimestamp(self.cutoff, tz=UTC)
        end = datetime.fromtimestamp(self.cutoff + self.horizon_days * DAY, tz=UTC)
        return f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"

    def as_dict(self) -> dict[str, Any]:
        start, end = self.period
        return {
            "cutoff": self.cutoff,
            "horizon_days": self.horizon_days,
            "period": {"from": start, "to": end},
            "people": self.people,
            "ties": self.ties,
            "candidates": self.candidates,
            "positives": self.positives,
            "negatives": self.negatives,
            "future_pairs": self.future_pairs,
            "unreachable_future_pairs": self.unreachable_future_pairs,
            "min_path": self.min_path,
            "positives_below_min_path": self.below_min_path,
            "models": [
                {
                    "name": m.name,
                    "auc": m.auc,
                    "auc_ci": list(m.auc_ci),
                    "average_precision": m.average_precision,
                    "precision_at": {str(k): v for k, v in m.precision_at.items()},
                    "n_positive": self.positives,
                    "n_negative": self.negatives,
                    **(
                        {}
                        if m.versus is None
                        else {
                            "versus": m.versus,
                            "auc_difference": m.difference,
                            "auc_difference_ci": list(m.difference_ci or ()),
                        }
                    ),
                }
                for m in self.models
            ],
        }


@dataclass(frozen=True)
class Ranked:
    """One model's scores split by label, sorted: its AUC, DeLong variance and average precision come from one
    sort of the negatives and queries of the (few) positives, never a sort of every pair with its label."""

    positives: FloatArray  # the positives' scores, in their original order
    positives_sorted: FloatArray
    negatives_sorted: FloatArray

    @classmethod
    def of(cls, scores: FloatArray, labels: BoolArray) -> Ranked:
        pos = scores[labels]
        return cls(pos, np.sort(pos), np.sort(scores[~labels]))

    def v10(self) -> FloatArray:
        """Per positive, the share of negatives it outranks (equal scores count half): their mean is the AUC."""
        below = np.searchsorted(self.negatives_sorted, self.positives, side="left")
        equal = np.searchsorted(self.negatives_sorted, self.positives, side="right") - below
        return (below + 0.5 * equal) / len(self.negatives_sorted)

    def v01_moments(self) -> tuple[float, float]:
        """Mean and variance, over the negatives, of the share of positives that outrank each (equal scores count
        half), from how many negatives fall at and between the distinct positive scores."""
        values, counts = np.unique(self.positives_sorted, return_counts=True)
        n_pos = len(self.positives_sorted)
        above = n_pos - np.cumsum(counts)  # positives above each distinct positive score
        at_left = np.searchsorted(self.negatives_sorted, values, side="left")
        at_right = np.searchsorted(self.negatives_sorted, values, side="right")
        # negatives below the lowest positive score, between two of them, and above the highest
        between = at_left - np.r_[0, at_right[:-1]]
        weights = np.r_[between, at_right - at_left, len(self.negatives_sorted) - at_right[-1]]
        shares = np.r_[above + counts, above + 0.5 * counts, 0.0] / n_pos
        mean = float(np.average(shares, weights=weights))
        n = float(weights.sum())
        var = float((weights * (shares - mean) ** 2).sum() / (n - 1)) if n > 1 else 0.0
        return mean, var

    def v01(self, scores: FloatArray, labels: BoolArray) -> FloatArray:
        """Per negative, in its original order, the share of positives that outrank it: for paired differences.
        One search of each negative among the distinct positive scores."""
        values, counts = np.unique(self.positives_sorted, return_counts=True)
        above = np.r_[len(self.positives_sorted) - np.cumsum(counts), 0]
        counts = np.r_[counts, 0]
        values = np.r_[values, np.inf]
        negatives = scores[~labels]
        at = np.searchsorted(values, negatives, side="left")  # the first distinct positive score >= it
        share = above[at] + counts[at] * np.where(values[at] == negatives, 0.5, 1.0)
        return np.asarray(share / len(self.positives_sorted), dtype=np.float64)

    def precision_at(self, k: int) -> float:
        """Positives among the k highest scores (equal scores at the boundary counted at their mean rate)."""
        n_pos, n_neg = len(self.positives_sorted), len(self.negatives_sorted)
        k = min(k, n_pos + n_neg)
        if k == 0:
            return float("nan")
        top = np.concatenate([self.positives_sorted[-k:], self.negatives_sorted[-k:]])
        threshold = np.partition(top, len(top) - k)[len(top) - k]
        pos_above = n_pos - np.searchsorted(self.positives_sorted, threshold, side="right")
        pos_at = n_pos - np.searchsorted(self.positives_sorted, threshold, side="left") - pos_above
        neg_above = n_neg - np.searchsorted(self.negatives_sorted, threshold, side="right")
        neg_at = n_neg - np.searchsorted(self.negatives_sorted, threshold, side="left") - neg_above
        room = k - pos_above - neg_above
        return float((pos_above + pos_at / (pos_at + neg_at) * room) / k)

    def average_precision(self) -> float:
        """Σ_n (R_n − R_{n−1}) · P_n over the distinct score thresholds, highest first (equal scores together):
        each positive adds 1/n_pos times the precision among the pairs scoring at least as high as it."""
        if len(self.positives) == 0:
            return float("nan")
        hits = len(self.positives) - np.searchsorted(self.positives_sorted, self.positives_sorted, side="left")
        misses = len(self.negatives_sorted) - np.searchsorted(self.negatives_sorted, self.positives_sorted, side="left")
        return float(np.mean(hits / (hits + misses)))


def _interval(
    centre: float, var10: float, n10: int, var01: float, n01: int, low: float, high: float
) -> tuple[float, float]:
    se = math.sqrt(var10 / n10 + var01 / n01)
    return (max(low, centre - 1.96 * se), min(high, centre + 1.96 * se))


def _var(values: FloatArray) -> float:
    return float(np.var(values, ddof=1))


def auc_interval(scores: FloatArray, labels: BoolArray) -> tuple[float, tuple[float, float]]:
    """The AUC and its 95% interval (DeLong, DeLong & Clarke-Pearson 1988), clipped to [0, 1]; needs two
    positives and two negatives."""
    ranked = Ranked.of(scores, labels)
    v10 = ranked.v10()
    _, var01 = ranked.v01_moments()
    auc = float(v10.mean())
    return auc, _interval(auc, _var(v10), len(v10), var01, len(ranked.negatives_sorted), 0.0, 1.0)


def auc_difference(first: FloatArray, second: FloatArray, labels: BoolArray) -> tuple[float, tuple[float, float]]:
    """AUC(first) − AUC(second) on the same pairs, with its paired 95% interval (DeLong)."""
    a, b = Ranked.of(first, labels), Ranked.of(second, labels)
    d10 = a.v10() - b.v10()
    d01 = a.v01(first, labels) - b.v01(second, labels)
    diff = float(d10.mean())
    return diff, _interval(diff, _var(d10), len(d10), _var(d01), len(d01), -1.0, 1.0)


def average_precision(scores: FloatArray, labels: BoolArray) -> float:
    """``Ranked.average_precision`` of one model's scores."""
    return Ranked.of(scores, labels).average_precision()


def precision_at(scores: FloatArray, labels: BoolArray, k: int) -> float:
    """``Ranked.precision_at`` of one model's scores."""
    return Ranked.of(scores, labels).precision_at(k)


def check_period(ts: np.ndarray[Any, Any], cutoff: int, horizon_days: float) -> None:
    """Refuse a horizon past the log's last day (its late pairs would look like negatives) and a cut-off with
    nothing before it."""
    check_horizon(ts, cutoff, horizon_days)
    first = int(np.min(ts))
    if cutoff <= first:
        raise InvalidInput(
            f"the log starts on {day(first)}: a cut-off on {day(cutoff)} leaves nothing before it; "
            "choose a later --cutoff",
            code="cutoff_before_log",
        )


def candidate_arrays(
    events: pa.Table, cutoff: int, horizon_days: float, settings: StrengthSettings
) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, int]]:
    """Per candidate pair, the raw sums over its intermediaries and its two people's degrees."""
    state = reduce_events(events, cutoff, settings)
    pairs = state.table
    strength = np.clip(strength_of(pairs, settings).strength, 0.0, 1.0 - 1e-12)
    ties = pa.table({"a": pairs.column("a"), "b": pairs.column("b"), "s": strength})
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        con.register("ties_in", ties)
        con.register("events_in", events)
        con.execute(
            """
            CREATE TEMP TABLE adj AS
                SELECT a AS u, b AS v, s FROM ties_in UNION ALL SELECT b AS u, a AS v, s FROM ties_in;
            CREATE TEMP TABLE deg AS SELECT u, count(*)::DOUBLE AS k FROM adj GROUP BY u;
            CREATE TEMP TABLE hop AS SELECT adj.u, adj.v, adj.s, deg.k FROM adj JOIN deg ON deg.u = adj.u;
            """
        )
        horizon_end = int(cutoff + horizon_days * DAY)
        con.execute(
            f"""
            CREATE TEMP TABLE future AS
                SELECT DISTINCT e.a, e.b FROM events_in e
                WHERE e.ts >= {int(cutoff)} AND e.ts < {horizon_end}
                  AND e.a IN (SELECT u FROM deg) AND e.b IN (SELECT u FROM deg)
                  AND NOT EXISTS (SELECT 1 FROM ties_in t WHERE t.a = e.a AND t.b = e.b)
            """
        )
        # Two hops through each intermediary w: the pairs of its neighbours, lower id first.
        data = con.sql(
            f"""
            WITH two AS (
                SELECT x.v AS a, y.v AS b,
                       count(*)::DOUBLE AS cn,
                       sum(1.0 / ln(x.k)) AS aa,
                       sum(1.0 / x.k) AS ra,
                       sum(ln(1.0 - x.s * y.s)) AS log_miss,
                       sum(({FLOOR!r} + x.s * y.s) / x.k) AS hub
                FROM hop x JOIN hop y ON x.u = y.u AND x.v < y.v
                GROUP BY x.v, y.v
            )
            SELECT two.*, da.k AS ka, db.k AS kb,
                   f.a IS NOT NULL AS positive
            FROM two
            ANTI JOIN ties_in t ON t.a = two.a AND t.b = two.b
            JOIN deg da ON da.u = two.a JOIN deg db ON db.u = two.b
            LEFT JOIN future f ON f.a = two.a AND f.b = two.b
            """
        ).to_arrow_table()  # through Arrow: fetchnumpy costs twice the query on ten million rows
        people, tie_count, future_pairs = con.execute(
            "SELECT (SELECT count(*) FROM deg), (SELECT count(*) FROM ties_in), (SELECT count(*) FROM future)"
        ).fetchall()[0]
    finally:
        con.close()
    arrays = {name: data.column(name).to_numpy() for name in data.column_names}
    counts = {"people": int(people), "ties": int(tie_count), "future_pairs": int(future_pairs)}
    return arrays, counts


def scores_of(arrays: dict[str, np.ndarray[Any, Any]]) -> dict[str, FloatArray]:
    """Every model's score, from ``candidate_arrays``."""
    cn, ka, kb = arrays["cn"].astype(np.float64), arrays["ka"], arrays["kb"]
    return {
        PATHS: -np.expm1(arrays["log_miss"]),
        HUB_DISCOUNTED: arrays["hub"].astype(np.float64),
        "common neighbours": cn,
        "Adamic-Adar": arrays["aa"].astype(np.float64),
        "resource allocation": arrays["ra"].astype(np.float64),
        "Jaccard": cn / (ka + kb - cn),
        "preferential attachment": (ka * kb).astype(np.float64),
    }


def candidate_scores(
    events: pa.Table, cutoff: int, horizon_days: float, settings: StrengthSettings
) -> tuple[dict[str, FloatArray], BoolArray, dict[str, int]]:
    """Every model's score per candidate pair, the labels, and the counts (people, ties, future pairs)."""
    arrays, counts = candidate_arrays(events, cutoff, horizon_days, settings)
    return scores_of(arrays), arrays["positive"].astype(bool), counts


def evaluate_paths(
    events: pa.Table,
    cutoff: int,
    horizon_days: float,
    settings: StrengthSettings,
    min_path: float = 0.05,
    ks: tuple[int, ...] = (100, 1000),
) -> PathEvaluation:
    """The figures of every model; "insufficient data" (``InvalidInput``) with the counts when there are fewer
    than ``MIN_POSITIVES`` positive or ``MIN_NEGATIVES`` negative candidates."""
    ts = events.column("ts").to_numpy()
    if len(ts) == 0:
        raise InvalidInput("The log has no events")
    check_period(ts, cutoff, horizon_days)
    scores, labels, counts = candidate_scores(events, cutoff, horizon_days, settings)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos < MIN_POSITIVES or n_neg < MIN_NEGATIVES:
        raise InvalidInput(
            f"insufficient data: {n_pos:,} positive and {n_neg:,} negative pairs from {day(cutoff)} to "
            f"{day(int(cutoff + horizon_days * DAY))} (at least {MIN_POSITIVES} and {MIN_NEGATIVES} needed); "
            "choose another --cutoff or a longer --horizon",
            code="insufficient_data",
        )
    figures: dict[str, dict[str, Any]] = {}
    v10s: dict[str, FloatArray] = {}
    kept: dict[str, Ranked] = {}  # the positives only: v01 needs no sorted negatives
    for name in MODELS:  # one model at a time: ten million pairs sorted per model, not seven at once
        ranked = Ranked.of(scores[name], labels)
        kept[name] = replace(ranked, negatives_sorted=ranked.negatives_sorted[:0])
        v10s[name] = ranked.v10()
        auc = float(v10s[name].mean())
        _, var01 = ranked.v01_moments()
        figures[name] = {
            "name": name,
            "auc": auc,
            "auc_ci": _interval(auc, _var(v10s[name]), n_pos, var01, n_neg, 0.0, 1.0),
            "average_precision": ranked.average_precision(),
            "precision_at": {k: ranked.precision_at(k) for k in ks},
        }
    best = max(BASELINES, key=lambda name: figures[name]["auc"])
    best_v01 = kept[best].v01(scores[best], labels)
    for name in (PATHS, HUB_DISCOUNTED):
        d10 = v10s[name] - v10s[best]
        d01 = kept[name].v01(scores[name], labels) - best_v01
        diff = float(d10.mean())
        figures[name] |= {
            "versus": best,
            "difference": diff,
            "difference_ci": _interval(diff, _var(d10), n_pos, _var(d01), n_neg, -1.0, 1.0),
        }
    models = [ModelFigures(**figures[name]) for name in MODELS]
    reached = counts["future_pairs"] - n_pos
    return PathEvaluation(
        cutoff=cutoff,
        horizon_days=horizon_days,
        people=counts["people"],
        ties=counts["ties"],
        candidates=len(labels),
        positives=n_pos,
        negatives=n_neg,
        future_pairs=counts["future_pairs"],
        unreachable_future_pairs=reached,
        below_min_path=int((labels & (scores[PATHS] < min_path)).sum()),
        min_path=min_path,
        models=models,
    )
