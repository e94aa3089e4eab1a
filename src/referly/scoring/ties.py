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


@dataclass(frozen=True)
class TieEvaluation:
    pairs: int
    positives: int
    cutoff: int
    horizon_days: float
    auc: dict[str, float]
    precision_at: dict[str, dict[int, float]]


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
    ts = events.column("ts").to_numpy()
    later = (ts >= cutoff) & (ts < cutoff + horizon_days * 86_400)
    again = {
        (int(x), int(y))
        for x, y in zip(events.column("a").to_numpy()[later], events.column("b").to_numpy()[later], strict=True)
    }
    labels = np.fromiter(((int(x), int(y)) in again for x, y in zip(a, b, strict=True)), dtype=bool, count=len(a))
    candidates = {
        "strength": strength_of(pairs, settings).strength,
        "count": pairs.column("touches").to_numpy().astype(np.float64),
        "recency": pairs.column("last_ts").to_numpy().astype(np.float64),
    }
    return TieEvaluation(
        pairs=len(a),
        positives=int(labels.sum()),
        cutoff=cutoff,
        horizon_days=horizon_days,
        auc={name: roc_auc(s, labels) for name, s in candidates.items()},
        precision_at={name: {k: precision_at(s, labels, k) for k in ks} for name, s in candidates.items()},
    )
