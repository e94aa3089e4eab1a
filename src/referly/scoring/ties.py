"""How well strength predicts that a tie is alive: an evaluation on any time-stamped interaction log.

Pure: events in, figures out. Events before the cutoff build each (undirected) pair's strength;
a pair is *positive* when its two people interact again within the horizon after the cutoff.
Strength is compared with two baselines that need no model: the raw count of touches, and
recency (how recent the last touch was). Ranking quality is ROC AUC (the chance a positive pair
ranks above a negative one, ties counted half) and precision at k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from referly.scoring.config import StrengthSettings
from referly.scoring.strength import reduce_events, strength_of

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
MIN_POSITIVES = 30  # below these, a split gives its counts and no AUC: "insufficient data"
MIN_NEGATIVES = 30
RESAMPLES = 1000  # pair-bootstrap resamples of a 95% interval


@dataclass(frozen=True)
class TieEvaluation:
    pairs: int
    positives: int
    cutoff: int
    horizon_days: float
    auc: dict[str, float]  # empty when the data are insufficient
    precision_at: dict[str, dict[int, float]]
    negatives: int = 0
    auc_ci: dict[str, tuple[float, float]] | None = None  # pair-bootstrap 95% intervals
    status: str = "measured"  # or "insufficient data"


def undirected(source: np.ndarray[Any, Any], target: np.ndarray[Any, Any], ts: np.ndarray[Any, Any]) -> pa.Table:
    """Messages as touches of undirected pairs: 'out' (1) from the lower id, 'in' (2) from the higher."""
    keep = source != target
    source, target, ts = source[keep], target[keep], ts[keep]
    low, high = np.minimum(source, target), np.maximum(source, target)
    kind = np.where(source == low, 1, 2).astype(np.int8)
    return pa.table({"a": low.astype(np.int64), "b": high.astype(np.int64), "kind": kind, "ts": ts.astype(np.int64)})


def roc_auc(scores: FloatArray, labels: np.ndarray[Any, np.dtype[np.bool_]]) -> float:
    """Mann-Whitney AUC with average ranks for ties."""
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0  # 1-based average rank of each group of equal scores
    ranks[order] = np.repeat(average, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


class Bootstrap:
    """Pair-bootstrap resamples shared by every ranking, so that differences are paired."""

    def __init__(self, labels: BoolArray, resamples: int = RESAMPLES, seed: int = 0) -> None:
        self.labels = labels
        rng = np.random.default_rng(seed)
        n = len(labels)
        self.weights = [np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64) for _ in range(resamples)]

    def aucs(self, scores: FloatArray) -> FloatArray:
        """The AUC of ``scores`` on every resample (ties count half), from one sort."""
        _, group = np.unique(scores, return_inverse=True)
        groups = int(group.max(initial=-1)) + 1
        pos, neg = group[self.labels], group[~self.labels]
        out = np.empty(len(self.weights))
        for i, w in enumerate(self.weights):
            p = np.bincount(pos, weights=w[self.labels], minlength=groups)
            q = np.bincount(neg, weights=w[~self.labels], minlength=groups)
            below = np.cumsum(q) - q
            total = p.sum() * q.sum()
            out[i] = float((p * (below + 0.5 * q)).sum() / total) if total > 0 else np.nan
        return out


def interval(values: FloatArray) -> tuple[float, float]:
    lo, hi = np.nanpercentile(values, [2.5, 97.5])
    return (round(float(lo), 4), round(float(hi), 4))


def precision_at(scores: FloatArray, labels: np.ndarray[Any, np.dtype[np.bool_]], k: int) -> float:
    top = np.argsort(-scores, kind="mergesort")[:k]
    return float(labels[top].mean()) if len(top) else float("nan")


def evaluate_ties(
    events: pa.Table,
    cutoff: int,
    horizon_days: float,
    settings: StrengthSettings,
    ks: tuple[int, ...] = (100, 1000),
) -> TieEvaluation:
    state = reduce_events(events, cutoff, settings)
    pairs = state.table
    a, b = pairs.column("a").to_numpy(), pairs.column("b").to_numpy()
    labels = again_within(a, b, events, cutoff, cutoff + int(horizon_days * 86_400))
    positives = int(labels.sum())
    if positives < MIN_POSITIVES or len(a) - positives < MIN_NEGATIVES:
        return TieEvaluation(
            len(a), positives, cutoff, horizon_days, {}, {}, len(a) - positives, None, "insufficient data"
        )
    candidates = {
        "strength": strength_of(pairs, settings).strength,
        "count": pairs.column("touches").to_numpy().astype(np.float64),
        "recency": pairs.column("last_ts").to_numpy().astype(np.float64),
    }
    boot = Bootstrap(labels)
    return TieEvaluation(
        pairs=len(a),
        positives=positives,
        cutoff=cutoff,
        horizon_days=horizon_days,
        auc={name: roc_auc(s, labels) for name, s in candidates.items()},
        precision_at={name: {k: precision_at(s, labels, k) for k in ks} for name, s in candidates.items()},
        negatives=len(a) - positives,
        auc_ci={name: interval(boot.aucs(s)) for name, s in candidates.items()},
    )


def again_within(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], events: pa.Table, start: int, end: int) -> BoolArray:
    """Whether each pair (a[i], b[i]) interacts again in ``[start, end)``."""
    ts = events.column("ts").to_numpy()
    later = (ts >= start) & (ts < end)
    ea, eb = events.column("a").to_numpy().astype(np.int64), events.column("b").to_numpy().astype(np.int64)
    width = int(max(np.max(a, initial=0), np.max(b, initial=0), eb.max(initial=0))) + 1
    return np.isin(np.asarray(a, dtype=np.int64) * width + np.asarray(b, dtype=np.int64), ea[later] * width + eb[later])
