"""`referly evaluate paths`: warm paths read as link prediction on any interaction log, beside the classic
baselines (common neighbours, Adamic-Adar, resource allocation, Jaccard, preferential attachment)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from referly.evaluate_log import check_horizon_days, cutoff_of, log_options, read_events
from referly.terminal import console


@click.command("paths")
@log_options
@click.option("--json", "as_json", is_flag=True)
def evaluate_paths(
    events_path: Path,
    source: str | None,
    target: str | None,
    time_column: str | None,
    mapping: Path | None,
    cutoff: str | None,
    horizon: float,
    as_json: bool,
) -> None:
    """How well warm paths predict which unconnected people meet next, beside the classic link predictors."""
    from referly.scoring.config import load_settings
    from referly.scoring.path_eval import evaluate_paths as run
    from referly.scoring.ties import undirected

    check_horizon_days(horizon)
    src, dst, ts = read_events(events_path, source, target, time_column, mapping)
    at = cutoff_of(cutoff, ts, horizon)
    settings = load_settings(stored=False)
    result = run(undirected(src, dst, ts), at, horizon, settings.strength, min_path=settings.min_path)
    if as_json:
        console.print_json(json.dumps({**result.as_dict(), "events": len(ts)}))
        return
    start, end = result.period
    console.print(
        f"{len(ts):,} events; {result.people:,} people and {result.ties:,} ties before {start}. "
        f"{result.candidates:,} untied pairs are two hops apart; {result.positives:,} of them interact "
        f"from {start} to {end}, {result.negatives:,} do not. {result.unreachable_future_pairs:,} of the "
        f"{result.future_pairs:,} new pairs of that period had no two-hop path.",
        highlight=False,
    )
    ks = list(result.models[0].precision_at)
    table = Table(show_edge=False)
    for column in ("Model", "ROC AUC (95% CI)", "Avg precision", *(f"P@{k}" for k in ks), "vs best baseline"):
        table.add_column(column, justify="left" if column == "Model" else "right")
    for m in result.models:
        versus = ""
        if m.difference is not None and m.difference_ci is not None:
            versus = f"{m.difference:+.3f} [{m.difference_ci[0]:+.3f}, {m.difference_ci[1]:+.3f}] vs {m.versus}"
        table.add_row(
            m.name,
            f"{m.auc:.3f} [{m.auc_ci[0]:.3f}, {m.auc_ci[1]:.3f}]",
            f"{m.average_precision:.3f}",
            *(f"{p:.3f}" for p in m.precision_at.values()),
            versus,
        )
    console.print(table)
    console.print(
        f"Measured on this log only; ties are undirected; AUC counts equal scores as half. "
        f"{result.below_min_path:,} of the {result.positives:,} positives have a path strength below the "
        f"minimum of {result.min_path:g} that the action ranking uses.",
        highlight=False,
    )
