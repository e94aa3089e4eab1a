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
from referly.evaluate_log import check_horizon_days, cutoff_of, log_options, read_events
from referly.terminal import console, database_option


@click.group()
def evaluate() -> None:
    """Measure how well Referly's scores predict what happened next."""


@evaluate.command("ties")
@log_options
@click.option(
    "--tune",
    is_flag=True,
    help="Choose the half-life on the log before the cutoff, then judge the choice after it (no leakage).",
)
@click.option(
    "--apply",
    is_flag=True,
    help="With --tune: store the chosen half-life as a new version of the scoring settings, with its evidence.",
)
@click.option("--json", "as_json", is_flag=True)
@database_option
def evaluate_ties(
    events_path: Path,
    source: str | None,
    target: str | None,
    time_column: str | None,
    mapping: Path | None,
    cutoff: str | None,
    horizon: float,
    tune: bool,
    apply: bool,
    as_json: bool,
) -> None:
    """How well relationship strength ranks the pairs that interact again, beside count and recency."""
    from referly.scoring.config import load_settings
    from referly.scoring.ties import MIN_NEGATIVES, MIN_POSITIVES, undirected
    from referly.scoring.ties import evaluate_ties as run
    from referly.scoring.tuning import check_horizon

    if apply and not tune:
        raise InvalidInput("--apply stores what --tune chose: add --tune")
    check_horizon_days(horizon)
    src, dst, ts = read_events(events_path, source, target, time_column, mapping)
    at = cutoff_of(cutoff, ts, horizon)
    check_horizon(ts, at, horizon)
    if tune:
        _tune(events_path, undirected(src, dst, ts), at, horizon, len(ts), apply, as_json)
        return
    result = run(undirected(src, dst, ts), at, horizon, load_settings(stored=False).strength)
    if as_json:
        console.print_json(json.dumps({**asdict(result), "events": len(ts)}))
        return
    when = datetime.fromtimestamp(at, tz=UTC)
    title = (
        f"{len(ts):,} events; {result.pairs:,} pairs before {when:%Y-%m-%d %H:%M} UTC, "
        f"{result.positives:,} of them interact again within {horizon:g} days"
    )
    if result.status != "measured":
        console.print(
            f"{title}: insufficient data ({result.positives} positive and {result.negatives} negative pairs; "
            f"at least {MIN_POSITIVES} and {MIN_NEGATIVES} are needed). Choose another --cutoff or a longer --horizon.",
            highlight=False,
        )
        return
    table = Table(title=title, show_edge=False)
    for column in (
        "Ranking by",
        "ROC AUC",
        "95% interval",
        *(f"Precision@{k}" for k in result.precision_at["strength"]),
    ):
        table.add_column(column, justify="left" if column == "Ranking by" else "right")
    for name in result.auc:
        low, high = (result.auc_ci or {})[name]
        table.add_row(
            name,
            f"{result.auc[name]:.3f}",
            f"{low:.3f}–{high:.3f}",
            *(f"{p:.3f}" for p in result.precision_at[name].values()),
        )
    console.print(table)
    console.print(
        "Measured on this log only; ties are undirected; AUC counts equal scores as half; "
        "intervals: pair bootstrap, 1,000 resamples."
    )


def _tune(log: Path, events: Any, at: int, horizon: float, count: int, apply: bool, as_json: bool) -> None:
    from referly.scoring.config import load_settings, settings_in_force
    from referly.scoring.tuning import provenance, tune_ties

    stored = apply
    if stored:
        from referly.database import open_database

        open_database()
    settings = settings_in_force().settings.strength if stored else load_settings(stored=False).strength
    result = tune_ties(events, at, horizon, settings)
    applied = None
    if apply:
        applied = _apply_half_life(result, provenance(result, str(log)))
    if as_json:
        console.print_json(json.dumps({**asdict(result), "events": count, "applied_version": applied}))
        return
    if result.chosen_half_life_days is None:
        console.print(f"{count:,} events: {result.message}.", highlight=False)
        return
    choice = Table(title=f"Choice, on the earlier part: {result.choice_split.describe()}", show_edge=False)
    choice.add_column("Half-life (days)", justify="right")
    choice.add_column("ROC AUC", justify="right")
    for half_life, auc in result.choice_auc.items():
        mark = " (chosen)" if float(half_life) == result.chosen_half_life_days else ""

        choice.add_row(f"{half_life}{mark}", f"{auc:.3f}")
    console.print(choice)
    if result.best_minus_in_force_ci is not None:
        low, high = result.best_minus_in_force_ci
        console.print(
            f"On the earlier part, the chosen half-life minus the one in force ({settings.half_life_days:g} d): "
            f"95% interval {low:+.3f} to {high:+.3f}.",
            highlight=False,
        )
    judged = Table(title=f"Judgement, after the cut-off only: {result.judged_split.describe()}", show_edge=False)
    for column in ("Ranking by", "ROC AUC", "95% interval", "Tuned minus it", "95% interval "):
        judged.add_column(column, justify="left" if column == "Ranking by" else "right")
    names = {
        "tuned": f"strength, half-life {result.chosen_half_life_days:g} d (tuned)",
        "default": f"strength, half-life {settings.half_life_days:g} d (before tuning)",
        "count": "count",
        "recency": "recency",
    }
    differences = {d.baseline: d for d in result.differences}
    for key, label in names.items():
        low, high = result.auc_ci[key]
        d = differences.get(key)
        judged.add_row(
            label,
            f"{result.auc[key]:.3f}",
            f"{low:.3f}–{high:.3f}",
            f"{d.difference:+.3f}" if d else "",
            f"{d.ci[0]:+.3f} to {d.ci[1]:+.3f}" if d else "",
        )
    console.print(judged)
    console.print(
        f"Measured on this log only ({count:,} events); intervals: pair bootstrap, {result.resamples:,} resamples.",
        highlight=False,
    )
    console.print(f"After the cut-off, the tuned half-life is {result.verdict}.", highlight=False)
    if applied is not None:
        console.print(
            f"Applied: settings version {applied} now holds a half-life of {result.chosen_half_life_days:g} days."
        )
    else:
        console.print("Nothing changed: add --apply to store this half-life in the scoring settings.")


def _apply_half_life(result: Any, note: str) -> int:
    from django.db import transaction

    from referly.scoring.models import SettingsSource
    from referly.scoring.settings_store import current_document, save_version

    document = json.loads(json.dumps(current_document()))
    document["strength"]["half_life_days"] = result.chosen_half_life_days
    with transaction.atomic():
        version = save_version(
            document,
            changed_by="referly evaluate ties --tune --apply",
            source=SettingsSource.TIE_TUNING,
            now=datetime.now(tz=UTC),
            note=note,
        )
    return int(version.pk)


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
    synthetic = _demo_company()
    if as_json:
        console.print_json(json.dumps({**backtest_json(result), "synthetic": synthetic}))
        return
    if synthetic:
        console.print(
            "[bold]Synthetic evidence[/]: every account here is under the reserved .example domain, the generated demo "
            "company; its asks and their outcomes come from the generator's model (docs/demo-data.md), not from a "
            "real team.",
            highlight=False,
        )
    print_backtest(result, console)


def _demo_company() -> bool:
    """Whether the records are the generated demo company: accounts, every one under the reserved .example domain."""
    from referly.crm.models import Account

    return Account.objects.exists() and not Account.objects.exclude(domain__endswith=".example").exists()


from referly.evaluate_paths import evaluate_paths  # noqa: E402  (the command lives beside, registered here)

evaluate.add_command(evaluate_paths)
