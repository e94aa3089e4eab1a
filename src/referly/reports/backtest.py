"""Backtest of the action ranking: would it have put the asks that worked on top, had it been run back then?

Past referral asks (referrals that reached ``requested``, dated by that transition) are grouped into periods.
For each period the whole scoring pipeline runs as of the period's first moment on the records as they stood
then (``referly.reports.snapshot``), and each ask of the period gets the score its (sponsor, target account) pair
had in that run before each target went to its best sponsor (and its rank when the ranking listed it). A pair the
run could not score (no warm path, a gated sponsor, a target already in the pipeline) scores 0 and is ranked last.
An ask is positive when its referral went on to an introduction (or, separately, to an opportunity).

Figures, pooled over the periods: ROC AUC (the chance a positive ask scored above a negative one, ties counted
half) and precision at k (the share of positives among the k best-scored asks, ties at the cut shared out
evenly), beside rankings that need no model: random (its expectation, and one seeded draw), the sponsor's latest
NPS answer, and how recently our team last touched the sponsor. A calibration table gives the positive rate per
quintile of the action score, with Wilson intervals.

Asks were not chosen at random, labels come from synthetic or self-reported stages, and n is small: these are
measured associations on this database, not the effect of following the ranking. ``docs/backtest.md`` says more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from referly.errors import InvalidInput
from referly.reports.evidence import MINIMUM_SAMPLE, Insufficient, Measured, Period, Scenario, measure, measured_rate
from referly.reports.snapshot import ReferralAsk
from referly.reports.stats import Interval
from referly.scoring.config import ScoringSettings
from referly.scoring.context import DAY, Inputs
from referly.scoring.pipeline import Results
from referly.scoring.ties import FloatArray, roc_auc

MINIMUM_POSITIVES = 3
"""An AUC needs both kinds of ask: below 3 positives (or 3 negatives) one ask moves it by a third or more."""
KS = (5, 10, 20)
OUTCOMES = {"introduced": "led to an introduction", "opportunity": "led to an opportunity"}
ACTION = "action ranking"
RANDOM_EXPECTED = "random (expected)"

Figure = Measured | Insufficient | Scenario
Pair = tuple[int, int]  # (sponsor contact id, target account id)
PARTS = ("sponsor_score", "path_strength", "fit", "moment_strength")
"""The parts an action score is the product of (``scoring.actions``), kept with each scored ask."""
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True)
class ScoredAsk:
    """An ask and what each ranking said of it at ``moment`` (epoch seconds), before it was made."""

    ask: ReferralAsk
    moment: int
    action_score: float  # the score the run gave the pair, listed or not; 0 when it could not score it
    action_rank: int | None  # None: not in the run's ranking (no path, blocked, or its target given to another)
    parts: dict[str, float] | None  # the action score's parts (``PARTS``); None when the run could not score the pair
    sponsor_score: float  # 0 when the sponsor was gated or not a client contact then
    nps: int | None  # the sponsor's latest NPS answer before the moment
    days_since_touch: float | None  # since our team's last touch with the sponsor before the moment


@dataclass(frozen=True)
class Run:
    """One replayed moment: the period it stands for, how many asks it scored and actions it ranked."""

    period: Period
    moment: int
    asks: int
    actions: int
    seconds: float


@dataclass(frozen=True)
class RankingFigures:
    name: str
    auc: Figure
    precision: dict[int, Figure]


@dataclass(frozen=True)
class OutcomeFigures:
    outcome: str
    positives: int
    still_open: int  # asks whose referral is still under way: their label may still turn positive
    insufficient: str | None  # why the figures are withheld; None when they are given
    rankings: list[RankingFigures]


@dataclass(frozen=True)
class CalibrationBin:
    """The asks from share ``lower`` to share ``upper`` of all asks, by action score, lowest first.

    One bin per quintile; asks tied on one score stay together, so a bin may span more or less than a fifth.
    """

    lower: float
    upper: float
    low: float
    high: float
    n: int
    rates: dict[str, Measured | Insufficient]


@dataclass(frozen=True)
class Backtest:
    period: Period
    step_days: int
    seed: int
    read_at: datetime
    asks: list[ScoredAsk]
    runs: list[Run]
    outcomes: list[OutcomeFigures]
    calibration: list[CalibrationBin]


def midnight(day: date) -> int:
    """The start of ``day`` (UTC), in epoch seconds."""
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * DAY


def periods(span: Period, step_days: int) -> list[Period]:
    """``span`` cut into consecutive periods of ``step_days`` days, the last one shorter if need be."""
    if step_days < 1:
        raise InvalidInput("--step-days must be at least 1", detail=f"got {step_days}")
    out: list[Period] = []
    start = span.start
    while start <= span.end:
        out.append(Period(start, min(span.end, start + timedelta(days=step_days - 1))))
        start += timedelta(days=step_days)
    return out


def pair_scores(results: Results) -> dict[Pair, dict[str, float]]:
    """The action score (``action_score``) and its ``PARTS`` of every scorable (sponsor, target account) pair of a
    run kept with ``keep_scored_paths``, before each target is given to its best sponsor: what the ranking gives an
    ask's own pair, listed or not."""
    if results.scored_paths is None:
        raise ValueError("the run did not keep its scored paths: run_pipeline(..., keep_scored_paths=True)")
    table = results.scored_paths.to_pydict()
    names = ("action_score", *PARTS)
    return {
        (int(s), int(t)): {name: float(table[name][i]) for name in names}
        for i, (s, t) in enumerate(zip(table["sponsor_id"], table["target_account_id"], strict=True))
    }


def score_asks(
    asks: Sequence[ReferralAsk],
    moment: int,
    inputs: Inputs,
    results: Results,
    pairs: dict[Pair, dict[str, float]] | None = None,
) -> list[ScoredAsk]:
    """Each ask as the run at ``moment`` (``run_pipeline``'s results on ``inputs``) saw it. ``pairs``: the
    run's score of every scorable pair (``pair_scores``); without it, only the listed pairs score."""
    pairs = pairs or {}
    ranked = {
        (a["sponsor_id"], a["target_account_id"]): a
        for a in results.actions.select(["sponsor_id", "target_account_id", "score", "rank"]).to_pylist()
    }
    sponsors = {
        int(c): (0.0 if gated else float(s))
        for c, s, gated in zip(
            results.sponsors.column("contact_id").to_pylist(),
            results.sponsors.column("score").to_pylist(),
            results.sponsors.column("gated").to_pylist(),
            strict=True,
        )
    }
    wanted = {a.sponsor_id for a in asks}
    nps: dict[int, tuple[int, int]] = {}
    signals = inputs.signals.to_pydict()
    for contact, kind, day, score in zip(
        signals["contact_id"], signals["kind"], signals["day"], signals["nps_score"], strict=True
    ):
        if kind == "nps" and contact in wanted and score is not None and (day, score) >= nps.get(contact, (-1, -1)):
            nps[contact] = (day, score)
    last_touch: dict[int, int] = {}
    for contact, last in zip(
        results.strengths.column("b").to_pylist(), results.strengths.column("last_ts").to_pylist(), strict=True
    ):
        if contact in wanted and last > last_touch.get(contact, -1):
            last_touch[contact] = last
    out = []
    for ask in asks:
        action = ranked.get((ask.sponsor_id, ask.target_account_id))
        scored = pairs.get((ask.sponsor_id, ask.target_account_id))
        touched = last_touch.get(ask.sponsor_id)
        out.append(
            ScoredAsk(
                ask=ask,
                moment=moment,
                action_score=float(action["score"]) if action else round(scored["action_score"] if scored else 0.0, 6),
                action_rank=int(action["rank"]) if action else None,
                parts={name: round(scored[name], 6) for name in PARTS} if scored else None,
                sponsor_score=sponsors.get(ask.sponsor_id, 0.0),
                nps=nps[ask.sponsor_id][1] if ask.sponsor_id in nps else None,
                days_since_touch=None if touched is None else round((moment - touched) / DAY, 2),
            )
        )
    return out


def expected_precision_at(scores: FloatArray, labels: BoolArray, k: int) -> float:
    """Share of positives among the ``k`` best scores, asks tied at the cut taking their share of the places.

    A plain sort would fill the places left at the cut in whatever order the asks came (here, by date), and most
    asks tie at 0 when the ranking did not rank them: the expectation over every order of the ties avoids that.
    """
    if not 0 < k <= len(scores):
        raise InvalidInput("k must be between 1 and the number of asks", detail=f"k = {k}, {len(scores)} asks")
    cut = np.sort(scores)[::-1][k - 1]
    above, tied = scores > cut, scores == cut
    taken = k - int(above.sum())
    return float((labels[above].sum() + taken * labels[tied].mean()) / k)


def auc_interval(
    scores: FloatArray, labels: BoolArray, rng: np.random.Generator, resamples: int = 1000, level: float = 0.95
) -> Interval:
    """Percentile interval of the ROC AUC from a bootstrap stratified by label (the counts of each kind kept).

    Every resample's AUC is ``c₊ᵀ·W·c₋ / (n₊·n₋)``, with ``W[i, j]`` 1 when positive i scores above negative j,
    ½ on a tie, 0 below, and ``c₊``, ``c₋`` multinomial draw counts: no resample lacks either kind.
    """
    positive, negative = scores[labels], scores[~labels]
    wins = (positive[:, None] > negative[None, :]) + 0.5 * (positive[:, None] == negative[None, :])
    n_pos, n_neg = len(positive), len(negative)
    draws_pos = rng.multinomial(n_pos, np.full(n_pos, 1.0 / n_pos), size=resamples)
    draws_neg = rng.multinomial(n_neg, np.full(n_neg, 1.0 / n_neg), size=resamples)
    aucs = ((draws_pos @ wins) * draws_neg).sum(axis=1) / (n_pos * n_neg)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(aucs, [tail, 1.0 - tail])
    return Interval(float(low), float(high), level, "stratified bootstrap percentile")


def rankings(asks: Sequence[ScoredAsk], seed: int) -> dict[str, FloatArray]:
    """Each ranking's score per ask; higher ranks first. No NPS answer or no touch at all ranks last."""
    n = len(asks)
    return {
        ACTION: np.array([a.action_score for a in asks], dtype=np.float64),
        "sponsor score alone": np.array([a.sponsor_score for a in asks], dtype=np.float64),
        f"random (seed {seed})": np.random.default_rng(seed).random(n),
        "NPS only": np.array([-1.0 if a.nps is None else float(a.nps) for a in asks], dtype=np.float64),
        "most recent contact": np.array(
            [-np.inf if a.days_since_touch is None else -a.days_since_touch for a in asks], dtype=np.float64
        ),
    }


def ks_for(n: int) -> list[int]:
    """5, 10 and 20, each only when fewer than n: precision at n is the base rate for every ranking."""
    return [k for k in KS if k < n] or ([n - 1] if n > 1 else [])


def measure_outcome(
    outcome: str, asks: Sequence[ScoredAsk], period: Period, read_at: datetime, seed: int
) -> OutcomeFigures:
    labels = np.array([getattr(a.ask, outcome) for a in asks], dtype=bool)
    n, positives = len(asks), int(labels.sum())
    negatives = n - positives
    still_open = sum(1 for a in asks if a.ask.still_open and not getattr(a.ask, outcome))
    ks = ks_for(n)
    insufficient, short = None, None
    if n < MINIMUM_SAMPLE or min(positives, negatives) < MINIMUM_POSITIVES:
        insufficient = (
            f"{positives} of {n} asks {OUTCOMES[outcome]}; a figure needs at least {MINIMUM_SAMPLE} asks, "
            f"{MINIMUM_POSITIVES} that did and {MINIMUM_POSITIVES} that did not"
        )
        # what falls short: all the asks, or the rarer kind of ask
        too_few = n < MINIMUM_SAMPLE
        short = Insufficient(
            n if too_few else min(positives, negatives),
            MINIMUM_SAMPLE if too_few else MINIMUM_POSITIVES,
            period,
            read_at,
        )
    random_order = ("asks put in a uniformly random order",)
    figures = [
        RankingFigures(
            RANDOM_EXPECTED,
            Scenario(0.5, random_order),
            {k: short or Scenario(positives / n, random_order) for k in ks},
        )
    ]
    for name, scores in rankings(asks, seed).items():
        if short is not None:
            figures.append(RankingFigures(name, short, dict.fromkeys(ks, short)))
            continue
        interval = auc_interval(scores, labels, np.random.default_rng([seed, len(figures)]))
        auc = measure(roc_auc(scores, labels), n=n, period=period, as_of=read_at, interval=interval)
        precision = {
            k: measure(expected_precision_at(scores, labels, k), n=n, period=period, as_of=read_at) for k in ks
        }
        figures.append(RankingFigures(name, auc, dict(precision)))
    return OutcomeFigures(outcome, positives, still_open, insufficient, figures)


def calibration(asks: Sequence[ScoredAsk], period: Period, read_at: datetime) -> list[CalibrationBin]:
    """Positive rates per quintile of the action score, lowest first; quintiles tied on one score merge."""
    if not asks:
        return []
    scores = np.array([a.action_score for a in asks], dtype=np.float64)
    edges = np.quantile(scores, [0.2, 0.4, 0.6, 0.8])
    bins = np.searchsorted(edges, scores, side="left")
    out, below = [], 0
    for b in sorted({int(b) for b in bins}):
        inside = bins == b
        n = int(inside.sum())
        rates = {
            outcome: measured_rate(
                sum(bool(getattr(a.ask, outcome)) for a, keep in zip(asks, inside, strict=True) if keep),
                n,
                period=period,
                as_of=read_at,
            )
            for outcome in OUTCOMES
        }
        low, high = float(scores[inside].min()), float(scores[inside].max())
        out.append(CalibrationBin(below / len(asks), (below + n) / len(asks), low, high, n, rates))
        below += n
    return out


def replay(
    span: Period,
    step_days: int,
    *,
    read_at: datetime,
    seed: int = 0,
    on_run: Callable[[Run], None] | None = None,
    settings: ScoringSettings | None = None,
) -> Backtest:
    """Score each period's asks as of the period's start, on the records as they stood then, and measure.
    ``settings``: the scoring settings to replay with (default: those in force)."""
    from referly.reports.snapshot import inputs_as_of, referral_asks
    from referly.scoring.config import load_settings
    from referly.scoring.pipeline import run_pipeline
    from referly.scoring.store import load_inputs, reduce_in_database

    settings = settings or load_settings()
    cuts = periods(span, step_days)
    asks = referral_asks(midnight(span.start), midnight(span.end) + DAY)
    current = load_inputs() if asks else None
    scored: list[ScoredAsk] = []
    runs: list[Run] = []
    for period in cuts:
        start, end = midnight(period.start), midnight(period.end) + DAY
        chosen = [a for a in asks if start <= a.requested_ts < end]
        if not chosen:
            continue
        clock = time.perf_counter()
        inputs = inputs_as_of(start, current=current, hidden_referrals={a.referral_id for a in chosen})
        pairs = reduce_in_database(start, settings.strength)
        results = run_pipeline(
            inputs, datetime.fromtimestamp(start, tz=UTC), settings, pairs=pairs, keep_scored_paths=True
        )
        scored.extend(score_asks(chosen, start, inputs, results, pair_scores(results)))
        run = Run(period, start, len(chosen), results.actions.num_rows, round(time.perf_counter() - clock, 2))
        runs.append(run)
        if on_run:
            on_run(run)
    outcomes = [measure_outcome(o, scored, span, read_at, seed) for o in OUTCOMES]
    return Backtest(span, step_days, seed, read_at, scored, runs, outcomes, calibration(scored, span, read_at))


def _cell(figure: Figure) -> str:
    if isinstance(figure, Insufficient):
        return "insufficient data"
    if isinstance(figure, Scenario):
        return f"{figure.value:.3f} (expected)"
    if figure.interval is not None:
        return f"{figure.value:.3f} ({figure.interval.low:.2f}–{figure.interval.high:.2f})"
    return f"{figure.value:.3f}"


def _rate(figure: Measured | Insufficient) -> str:
    if isinstance(figure, Insufficient):
        return f"insufficient data (n = {figure.n})"
    if figure.interval is None:
        return f"{figure.value:.0%}"
    return f"{figure.value:.0%} ({figure.interval.low:.0%}–{figure.interval.high:.0%})"


def print_backtest(backtest: Backtest, console: Console) -> None:
    """The figures as tables: one per outcome, then the calibration of the action score."""
    n = len(backtest.asks)
    ranked = sum(1 for a in backtest.asks if a.action_rank is not None)
    console.print(
        f"[bold]Measured[/]: {n} referral asks requested {backtest.period.start} to {backtest.period.end}, "
        f"replayed in {len(backtest.runs)} scoring runs (one per {backtest.step_days}-day period with asks, as of "
        f"the period's first day, 00:00 UTC); records read {backtest.read_at:%Y-%m-%d %H:%M} UTC.",
        highlight=False,
    )
    if n:
        paired = sum(1 for a in backtest.asks if a.action_rank is None and a.action_score > 0)
        console.print(
            f"{ranked} of {n} asks were in the action ranking of their moment; {paired} more are scored as the ranking "
            "scores their pair before it gives each target to its best sponsor; the others score 0 and rank last.",
            highlight=False,
        )
    for outcome in backtest.outcomes:
        ks = next(iter(outcome.rankings)).precision if outcome.rankings else {}
        waiting = f", {outcome.still_open} still under way" if outcome.still_open else ""
        table = Table(
            title=f"Asks that {OUTCOMES[outcome.outcome]}: {outcome.positives} of {n}{waiting}",
            show_edge=False,
        )
        table.add_column("Ranking by")
        for column in ("ROC AUC (95% interval)", *(f"Precision@{k}" for k in ks)):
            table.add_column(column, justify="right")
        for row in outcome.rankings:
            table.add_row(row.name, _cell(row.auc), *(_cell(row.precision[k]) for k in ks))
        console.print(table)
        if outcome.insufficient:
            console.print(f"Insufficient data: {outcome.insufficient}.", highlight=False)
    if backtest.calibration:
        table = Table(
            title="Positive rate by quintile of the action score (95% Wilson intervals)",
            caption=f"A rate needs at least {MINIMUM_SAMPLE} asks in its row.",
            show_edge=False,
        )
        for column in ("Asks, lowest score first", "Action score", "Asks", *(f"Rate {o}" for o in OUTCOMES)):
            table.add_column(column, justify="right")
        for b in backtest.calibration:
            share = f"{b.lower:.0%}–{b.upper:.0%}"
            scores = f"{b.low:.3f}" if b.low == b.high else f"{b.low:.3f}–{b.high:.3f}"
            table.add_row(share, scores, str(b.n), *(_rate(b.rates[o]) for o in OUTCOMES))
        console.print(table)
    console.print(
        "Associations measured on this database's past asks, not the effect of following the ranking: asks were "
        "not chosen at random, and later asks may not have reached their outcome yet. See docs/backtest.md.",
        highlight=False,
    )


def backtest_json(backtest: Backtest) -> dict[str, Any]:
    """Everything the tables show, with each figure's evidence label, and every ask as it was scored."""
    return {
        "label": "measured",
        "period": backtest.period.as_dict(),
        "as_of": backtest.read_at.isoformat(),
        "step_days": backtest.step_days,
        "seed": backtest.seed,
        "asks": len(backtest.asks),
        "ranked": sum(1 for a in backtest.asks if a.action_rank is not None),
        "scored_pairs": sum(1 for a in backtest.asks if a.action_rank is None and a.action_score > 0),
        "minimum": {"asks": MINIMUM_SAMPLE, "positives": MINIMUM_POSITIVES, "negatives": MINIMUM_POSITIVES},
        "runs": [
            {
                "period": r.period.as_dict(),
                "as_of": datetime.fromtimestamp(r.moment, tz=UTC).isoformat(),
                "asks": r.asks,
                "actions": r.actions,
                "seconds": r.seconds,
            }
            for r in backtest.runs
        ],
        "outcomes": {
            o.outcome: {
                "positives": o.positives,
                "still_open": o.still_open,
                "insufficient": o.insufficient,
                "rankings": {
                    r.name: {
                        "auc": r.auc.as_dict(),
                        "precision_at": {str(k): f.as_dict() for k, f in r.precision.items()},
                    }
                    for r in o.rankings
                },
            }
            for o in backtest.outcomes
        },
        "calibration": [
            {
                "share_of_asks": [b.lower, b.upper],
                "score_low": b.low,
                "score_high": b.high,
                "n": b.n,
                "rates": {o: f.as_dict() for o, f in b.rates.items()},
            }
            for b in backtest.calibration
        ],
        "scored_asks": [
            {
                "referral_id": a.ask.referral_id,
                "sponsor_id": a.ask.sponsor_id,
                "target_account_id": a.ask.target_account_id,
                "requested_at": datetime.fromtimestamp(a.ask.requested_ts, tz=UTC).isoformat(),
                "scored_as_of": datetime.fromtimestamp(a.moment, tz=UTC).isoformat(),
                "stage": a.ask.stage,
                "introduced": a.ask.introduced,
                "opportunity": a.ask.opportunity,
                "action_score": a.action_score,
                "action_rank": a.action_rank,
                "parts": a.parts,
                "sponsor_score": a.sponsor_score,
                "nps": a.nps,
                "days_since_touch": a.days_since_touch,
            }
            for a in backtest.asks
        ],
    }
