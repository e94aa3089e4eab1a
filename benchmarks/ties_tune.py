"""Benchmark: `evaluate ties --tune` over 7 half-lives against one plain `evaluate ties`, on the public logs.

    python benchmarks/ties_tune.py [--runs 3]

Reads eu-core-temporal and enron-iptm from REFERLY_DATASETS (default ../shared/datasets), once each, then
times in the same process, on the same undirected events and cut-off (three quarters of the log): the plain
evaluation (one reduction, three rankings, pair-bootstrap intervals) and the tuning (choice over 7 half-lives
before the cut-off, judgement after it, paired bootstrap of four rankings). Both use 1,000 bootstrap resamples.
Reading the log is not timed. The median of the runs is shown with the ratio; the goal is tune ≤ 3x plain.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(run: Callable[[], Any], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--horizon", type=float, default=90.0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referly.settings")
    from referly.config import datasets_dir
    from referly.ingest.logs import read_log, read_log_through_mapping
    from referly.scoring.config import StrengthSettings
    from referly.scoring.ties import evaluate_ties, undirected
    from referly.scoring.tuning import HALF_LIVES, day, default_cutoff, tune_ties

    folder = datasets_dir()
    root = Path(__file__).resolve().parent.parent
    logs = {
        "eu-core-temporal": lambda: read_log(
            folder / "eu-core-temporal" / "email-Eu-core-temporal.txt.gz", "1", "2", "3"
        ),
        "enron-iptm": lambda: read_log_through_mapping(
            folder / "enron-iptm", root / "docs" / "examples" / "enron-iptm.toml"
        ),
    }
    settings = StrengthSettings()
    print(f"{len(HALF_LIVES)} half-lives, {args.runs} runs each, median; horizon {args.horizon:g} days")
    print("| Log | Events | Cut-off | Plain evaluation | --tune | Ratio |")
    print("|---|---|---|---|---|---|")
    for name, read in logs.items():
        src, dst, ts = read()
        events = undirected(src, dst, ts)
        cutoff = default_cutoff(ts, args.horizon)
        plain = timed(lambda: evaluate_ties(events, cutoff, args.horizon, settings), args.runs)  # noqa: B023
        tune = timed(lambda: tune_ties(events, cutoff, args.horizon, settings), args.runs)  # noqa: B023
        print(f"| {name} | {len(ts):,} | {day(cutoff)} | {plain:.2f} s | {tune:.2f} s | {tune / plain:.1f}x |")


if __name__ == "__main__":
    main()
