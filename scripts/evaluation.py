"""Regenerate docs/evaluation.md: tie strength and warm paths measured on the public logs, every row.

    python scripts/evaluation.py [--out docs/evaluation.md]

Reads eu-core-temporal and enron-iptm from REFERLY_DATASETS (default ../shared/datasets). For each log, three
cut-offs (the points by which 50%, 65% and 80% of its events have happened) and a 90-day horizon:
`evaluate ties` (the default half-life, and `--tune`), and `evaluate paths` against every baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HORIZON = 90.0
SHARES = (0.50, 0.65, 0.80)
OTHER_SHARES = (0.40, 0.45, 0.55, 0.60, 0.70, 0.75, 0.85)  # not looked at when the hub-discounted form was chosen


def eu_core(datasets: Path) -> tuple[Any, Any, Any]:
    from referly.ingest.logs import read_log

    return read_log(datasets / "eu-core-temporal" / "email-Eu-core-temporal.txt.gz", "1", "2", "3")


def enron(datasets: Path) -> tuple[Any, Any, Any]:
    from referly.ingest.logs import read_log_through_mapping

    return read_log_through_mapping(datasets / "enron-iptm", ROOT / "docs" / "examples" / "enron-iptm.toml")


LOGS: tuple[tuple[str, str, Callable[[Path], tuple[Any, Any, Any]]], ...] = (
    (
        "eu-core-temporal",
        "referly evaluate {what} --events ../shared/datasets/eu-core-temporal/email-Eu-core-temporal.txt.gz "
        "--source 1 --target 2 --time 3 --cutoff {cutoff}",
        eu_core,
    ),
    (
        "enron-iptm",
        "referly evaluate {what} --events ../shared/datasets/enron-iptm --mapping docs/examples/enron-iptm.toml "
        "--cutoff {cutoff}",
        enron,
    ),
)


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


def ci(pair: Any) -> str:
    return f"[{pair[0]:.3f}, {pair[1]:.3f}]"


def signed(value: float, pair: Any) -> str:
    return f"{value:+.3f} [{pair[0]:+.3f}, {pair[1]:+.3f}]"


TIES_TALLY: list[tuple[str, float, float, float, float]] = []  # cut-off, tuned − count (and low), − recency (and low)


def ties_rows(events: Any, cutoff: int) -> str:
    """One row: the default strength beside count and recency, then the tuned half-life judged after the cut-off."""
    from referly.scoring.config import load_settings
    from referly.scoring.ties import evaluate_ties

    settings = load_settings(stored=False).strength
    plain = evaluate_ties(events, cutoff, HORIZON, settings)
    head = f"| {day(cutoff)} | {plain.pairs:,} | {plain.positives:,} |"
    if plain.status != "measured":
        return head + " insufficient data | | | | | |"
    cis = plain.auc_ci or {}
    cells = [f"{plain.auc[name]:.3f} {ci(cis[name])}" for name in ("strength", "count", "recency")]
    try:
        from referly.scoring.tuning import tune_ties
    except ImportError:  # pragma: no cover - kept for a checkout without tuning
        return head + " | ".join(cells) + " | (tuning not available in this version) | | |"
    tuned = tune_ties(events, cutoff, HORIZON, settings)
    if tuned.chosen_half_life_days is None:
        return f"{head} {' | '.join(cells)} | {tuned.message} | | |"
    versus = {d.baseline: d for d in tuned.differences}
    TIES_TALLY.append(
        (
            day(cutoff),
            versus["count"].difference,
            versus["count"].ci[0],
            versus["recency"].difference,
            versus["recency"].ci[0],
        )
    )
    return (
        f"{head} {' | '.join(cells)} | {tuned.chosen_half_life_days:g} d: {tuned.auc['tuned']:.3f} "
        f"{ci(tuned.auc_ci['tuned'])} | {signed(versus['count'].difference, versus['count'].ci)} | "
        f"{signed(versus['recency'].difference, versus['recency'].ci)} |"
    )


def paths_table(events: Any, cutoff: int) -> tuple[str, dict[str, Any]]:
    from referly.errors import InvalidInput
    from referly.scoring.config import load_settings
    from referly.scoring.path_eval import BASELINES, evaluate_paths

    settings = load_settings(stored=False)
    try:
        result = evaluate_paths(events, cutoff, HORIZON, settings.strength, min_path=settings.min_path)
    except InvalidInput as exc:
        return f"Cut-off {day(cutoff)}: {exc}.\n", {}
    start, end = result.period
    lines = [
        f"Cut-off {start}, positives from {start} to {end}: {result.candidates:,} untied pairs two hops apart "
        f"among {result.people:,} people with {result.ties:,} ties; {result.positives:,} positive, "
        f"{result.negatives:,} negative. {result.unreachable_future_pairs:,} of the {result.future_pairs:,} new "
        f"pairs of the period had no two-hop path (no model here can rank them); {result.below_min_path:,} of the "
        f"positives have a noisy-OR path strength below the action ranking's minimum of {result.min_path:g}.",
        "",
        "| Model | ROC AUC [95% CI] | Average precision | P@100 | P@1000 | vs best baseline [95% CI] |",
        "|---|---|---|---|---|---|",
    ]
    best = max((m for m in result.models if m.name in BASELINES), key=lambda m: m.auc)
    for m in result.models:
        versus = ""
        if m.difference is not None:
            versus = f"{signed(m.difference, m.difference_ci)} vs {m.versus}"
        name = f"**{m.name}**" if m.name == best.name else m.name
        lines.append(
            f"| {name} | {m.auc:.3f} {ci(m.auc_ci)} | {m.average_precision:.3f} | {m.precision_at[100]:.2f} | "
            f"{m.precision_at[1000]:.2f} | {versus} |"
        )
    by_name = {m.name: m for m in result.models}
    found = {"best": best, "models": by_name, "below_min_path": result.below_min_path, "positives": result.positives}
    return "\n".join(lines) + "\n", found


def other_row(name: str, events: Any, cutoff: int, share: float) -> str:
    from referly.errors import InvalidInput
    from referly.scoring.config import load_settings
    from referly.scoring.path_eval import HUB_DISCOUNTED, evaluate_paths

    head = f"| {name} | {day(cutoff)} ({share:.0%}) |"
    try:
        result = evaluate_paths(events, cutoff, HORIZON, load_settings(stored=False).strength)
    except InvalidInput as exc:
        return f"{head} {exc} | | | |"
    m = {model.name: model for model in result.models}[HUB_DISCOUNTED]
    best = {model.name: model for model in result.models}[m.versus or ""]
    return (
        f"{head} {result.positives:,} / {result.negatives:,} | {m.auc:.3f} {ci(m.auc_ci)} | {best.name} "
        f"{best.auc:.3f} {ci(best.auc_ci)} | {signed(m.difference or 0.0, m.difference_ci)} |"
    )


OTHER_INTRO = """### At cut-offs not used when the hub-discounted form was chosen

The form and its floor were chosen by looking at the three cut-offs above (see below). The same comparison at
seven other cut-offs of each log (they share most of their past with those three, so this is a weaker check
than a new log):
"""

INTRO = """# Evaluation on public logs

Generated by `python scripts/evaluation.py` (reads `REFERLY_DATASETS`, default `../shared/datasets`); do not
edit by hand. Each figure below is also what one command prints: the command is given with its table.

Two public e-mail logs, both read as undirected ties between people (see each folder's `SOURCE.md`):

- **eu-core-temporal**: 332,334 e-mails among 986 members of a European research institution over 804 days
  (SNAP; times are relative, so its dates read as 1970–1972);
- **enron-iptm**: 38,388 recipient rows of e-mails among 156 Enron employees, 1998–2002, read through
  `docs/examples/enron-iptm.toml`.

Each log is cut at three points (when 50%, 65% and 80% of its events have happened); everything before the
cut-off builds the scores, and the 90 days after it give the labels. Every figure keeps its n and its period;
an interval is a 95% interval.

## Tie strength: does a tie stay alive?

`referly evaluate ties` ranks the pairs with a touch before the cut-off; a pair is positive when it touches
again within 90 days. Strength with the default 30-day half-life is compared with the raw count of touches
and with recency (AUC, pair-bootstrap 95% interval, 1,000 resamples). `--tune` chooses the half-life among
3, 7, 14, 30, 60, 90 and 180 days on the log before `cut-off − 90 days` (labels from the 90 days up to the
cut-off) and is judged only after the cut-off: the choice never sees the judged period. Its differences to
count and recency are paired (the same resampled pairs).

"""

PATHS_INTRO = """## Warm paths: do the people a path connects meet next?

`referly evaluate paths` reads warm paths as link prediction. The candidates are the pairs of people active
before the cut-off with no tie between them and a common neighbour (two hops, the depth of Referly's paths);
a candidate is positive when its two people interact within 90 days after the cut-off. Models:

- **paths**: the form of the action ranking's warm paths, `1 − Π_w (1 − s(a,w) · s(w,b))` over
  intermediaries w, with the tie strengths s (default settings). In the action ranking the second edge is a
  known tie's confidence (former colleagues, a declared connection); a log has only touches, so here both
  edges are strengths;
- **paths, hub-discounted**: `Σ_w (0.03 + s(a,w) · s(w,b)) / k(w)`: each path divided by its intermediary's
  number of ties k(w), as resource allocation does, with a floor of 0.03 so that a cold path still counts a
  little. This is the evaluated variant; the action ranking still uses **paths**;
- the classic baselines: common neighbours, Adamic–Adar, resource allocation, Jaccard and preferential
  attachment (Liben-Nowell & Kleinberg 2007; Zhou, Lü & Zhang 2009).

AUC intervals and the paired differences to the best baseline (in bold) are DeLong's (DeLong, DeLong &
Clarke-Pearson 1988). Equal scores count half.

"""

NOT_PROVEN = """## What these figures do not prove

- **The hub-discounted form and its floor were chosen on these same logs and cut-offs.** Several forms were
  tried (multiplying by the people's activity, dividing by their degrees, floors from 0.01 to 0.3); the one
  kept did best here. Its wins there are in-sample; the seven other cut-offs per log are a weaker check, as
  they share most of their past; a fair test needs another log. The floor is not chosen per team from its
  own log as `--tune` does for the half-life.
- **Two logs, both e-mail within one organisation.** A sales team's mail with its clients' people is sparser
  and more one-sided; the ranking of models may differ there.
- **Meeting is not an introduction.** A positive pair here is two people who wrote to each other for the first
  time; an introduction that leads to a deal is a rarer, different event. These figures say the path scores
  find who is about to meet; they do not measure referrals won.
- **Pairs no two-hop path reaches** are outside every model's reach; they are counted, not ranked.
- **Intervals are per figure.** With three cut-offs per log, one interval in twenty may miss by chance; the
  cut-offs of one log overlap in their past, so they are not independent trials.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "evaluation.md")
    args = parser.parse_args()
    from referly.config import datasets_dir
    from referly.errors import ReferlyError
    from referly.scoring.path_eval import HUB_DISCOUNTED, PATHS
    from referly.scoring.ties import undirected

    datasets = datasets_dir()
    loaded = {}
    for name, command, read in LOGS:
        if not (datasets / name).exists():
            sys.exit(f"{datasets / name} is missing: set REFERLY_DATASETS to the shared datasets folder")
        src, dst, ts = read(datasets)
        cutoffs = [int(np.quantile(ts, share)) for share in SHARES]
        loaded[name] = (command, undirected(src, dst, ts), cutoffs, len(ts))

    out = [INTRO]
    for name, (command, events, cutoffs, count) in loaded.items():
        out.append(f"### {name} ({count:,} events)\n")
        out.append("```sh\n" + command.format(what="ties", cutoff=day(cutoffs[0])) + " [--tune]\n```\n")
        out.append(
            "| Cut-off | Pairs | Positive | Strength (30 d) | Count | Recency | Tuned (half-life: AUC) "
            "| Tuned − count | Tuned − recency |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for cutoff in cutoffs:
            started = time.perf_counter()
            try:
                out.append(ties_rows(events, cutoff))
            except ReferlyError as exc:
                out.append(f"| {day(cutoff)} | {exc} | | | | | | | |")
            print(f"{name} ties at {day(cutoff)}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        out.append("")

    n = len(TIES_TALLY)
    out.append(
        f"Over the {n} cut-offs, the tuned half-life beats count at {sum(t[1] > 0 for t in TIES_TALLY)} "
        f"(its interval above 0 at {sum(t[2] > 0 for t in TIES_TALLY)}) and recency at "
        f"{sum(t[3] > 0 for t in TIES_TALLY)} (interval above 0 at {sum(t[4] > 0 for t in TIES_TALLY)}). "
        "Where the tuned AUC is below the 30-day default's, the half-life chosen on the earlier window did not "
        "carry over to the later one: tuning fits the past, it does not promise the future.\n"
    )
    out.append(PATHS_INTRO)
    tally: dict[str, list[str]] = {PATHS: [], HUB_DISCOUNTED: []}
    below: dict[str, list[float]] = {}
    for name, (command, events, cutoffs, count) in loaded.items():
        out.append(f"### {name} ({count:,} events)\n")
        for cutoff in cutoffs:
            out.append("```sh\n" + command.format(what="paths", cutoff=day(cutoff)) + "\n```\n")
            table, found = paths_table(events, cutoff)
            out.append(table)
            if found:
                below.setdefault(name, []).append(found["below_min_path"] / found["positives"])
            for model in tally:
                if found:
                    m = found["models"][model]
                    tally[model].append(
                        f"{name} {day(cutoff)}: {'win' if m.difference > 0 else 'loss'} "
                        f"({m.difference:+.3f} vs {m.versus})"
                    )
    out.append("### Wins and losses against the best baseline of each cut-off\n")
    for model, rows in tally.items():
        wins = sum(row.split(": ")[1].startswith("win") for row in rows)
        out.append(f"- **{model}**: {wins} of {len(rows)}: " + "; ".join(rows) + ".")
    out.append("")
    out.append(OTHER_INTRO)
    out.append("| Log | Cut-off | Positive / negative | paths, hub-discounted | Best baseline | Difference [95% CI] |")
    out.append("|---|---|---|---|---|---|")
    for name, (_, events, _, _) in loaded.items():
        ts = events.column("ts").to_numpy()
        for share in OTHER_SHARES:
            out.append(other_row(name, events, int(np.quantile(ts, share)), share))
    shares = "; ".join(f"{name}: {min(v):.0%} to {max(v):.0%}" for name, v in below.items())
    out.append("")
    out.append(NOT_PROVEN)
    out.append(
        f"- The noisy-OR **paths** score is below the action ranking's minimum path strength (0.05) for a large "
        f"share of the pairs that do meet next ({shares} of the positives): as a filter, that minimum drops them."
    )
    out.append("")
    args.out.write_text("\n".join(out))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
