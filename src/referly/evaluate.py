"""`referly evaluate`: how well the scores predicted what happened next, on a log or on our own history."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from referly.errors import InvalidInput
from referly.terminal import console, database_option


@click.group()
def evaluate() -> None:
    """Measure how well Referly's scores predict what happened next."""


@evaluate.command("ties")
@click.option(
    "--events",
    "events_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="An interaction log: CSV, TSV or space separated (gzip too), or a folder read with --mapping.",
)
@click.option("--source", help="Column of the sender (name, or 1-based position for a file without header).")
@click.option("--target", help="Column of the recipient.")
@click.option("--time", "time_column", help="Column of the time: epoch seconds or ISO dates.")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the log through an import mapping's [interactions] section instead.",
)
@click.option("--cutoff", help="Date (YYYY-MM-DD) or epoch seconds. Default: when three quarters of the log is past.")
@click.option("--horizon", type=float, default=90.0, show_default=True, help="Days after the cutoff.")
@click.option("--json", "as_json", is_flag=True)
def evaluate_ties(
    events_path: Path,
    source: str | None,
    target: str | None,
    time_column: str | None,
    mapping: Path | None,
    cutoff: str | None,
    horizon: float,
    as_json: bool,
) -> None:
    """How well relationship strength ranks the pairs that interact again, beside count and recency."""
    from referly.ingest.logs import read_log, read_log_through_mapping
    from referly.scoring.config import load_settings
    from referly.scoring.ties import evaluate_ties as run
    from referly.scoring.ties import undirected

    if mapping is not None:
        src, dst, ts = read_log_through_mapping(events_path, mapping)
    else:
        if not (source and target and time_column):
            raise InvalidInput("Name the --source, --target and --time columns (or give --mapping)")
        src, dst, ts = read_log(events_path, source, target, time_column)
    if len(ts) == 0:
        raise InvalidInput(f"{events_path}: no events")
    at = _cutoff(cutoff, ts)
    result = run(undirected(src, dst, ts), at, horizon, load_settings(stored=False).strength)
    if as_json:
        console.print_json(json.dumps({**asdict(result), "events": len(ts)}))
        return
    when = datetime.fromtimestamp(at, tz=UTC)
    table = Table(
        title=f"{len(ts):,} events; {result.pairs:,} pairs before {when:%Y-%m-%d %H:%M} UTC, "
        f"{result.positives:,} of them interact again within {horizon:g} days",
        show_edge=False,
    )
    for column in ("Ranking by", "ROC AUC", *(f"Precision@{k}" for k in result.precision_at["strength"])):
        table.add_column(column, justify="left" if column == "Ranking by" else "right")
    for name in result.auc:
        table.add_row(name, f"{result.auc[name]:.3f}", *(f"{p:.3f}" for p in result.precision_at[name].values()))
    console.print(table)
    console.print("Measured on this log only; ties are undirected; AUC counts equal scores as half.")


@evaluate.command("ranking")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day of asks.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day of asks (included).")
@click.option(
    "--step-days",
    type=int,
    default=30,
    show_default=True,
    help="Days per period; each period's asks are scored as of its first day.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random baseline ranking.")
@click.option("--json", "as_json", is_flag=True)
@database_option
def evaluate_ranking(start: datetime, end: datetime, step_days: int, seed: int, as_json: bool) -> None:
    """Replay past referral asks: would the action ranking, as of each ask's date, have put the ones that worked on
    top? Beside random, NPS-only and most-recent-contact rankings. See docs/backtest.md."""
    from referly.reports.evidence import Period

    if start > end:
        raise InvalidInput(f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d}")
    if step_days < 1:
        raise InvalidInput(f"--step-days must be at least 1 (got {step_days})")
    from referly.database import open_database

    open_database()
    from referly.reports.backtest import backtest_json, print_backtest, replay
    from referly.terminal import err_console

    def progress(run: Any) -> None:
        err_console.print(
            f"Scored as of {run.period.start}: {run.asks} ask{'s' if run.asks > 1 else ''} "
            f"against {run.actions} ranked actions ({run.seconds:.1f} s)",
            highlight=False,
        )

    result = replay(
        Period(start.date(), end.date()),
        step_days,
        read_at=datetime.now(tz=UTC),
        seed=seed,
        on_run=None if as_json else progress,
    )
    if as_json:
        console.print_json(json.dumps(backtest_json(result)))
        return
    print_backtest(result, console)


def _cutoff(value: str | None, ts: Any) -> int:
    import numpy as np

    if value is None:
        return int(np.quantile(ts, 0.75))
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise InvalidInput(f"--cutoff {value!r} is neither a date (YYYY-MM-DD) nor epoch seconds") from None
