"""`referly score` and `referly actions`: run the scoring pipeline, and read its next best actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from referly.errors import InvalidInput
from referly.scoring.left_out import left_out
from referly.terminal import console, database_option

AFTER_SCORE: list[Callable[[Any], None]] = []
"""What `referly score` also says about a new run: the layers above add their explanations (readiness)."""


@click.command()
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Score as at the end of this day. Default: now.",
)
@click.option(
    "--events",
    "event_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Parquet event files (contact_id, teammate_id, kind, occurred_at) to use instead of the "
    "database's interactions; a folder reads every file in it.",
)
@click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Score a system of record exported as Parquet files (accounts.parquet, contacts.parquet, ..., "
    "interactions/) instead of the database; the score tables are written as Parquet under --out.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --folder: where to write the score tables. Default: FOLDER/scores.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default=None,
    help="With --folder: where the event files are reduced. Default: REFERLY_EVENTS_ENGINE (duckdb).",
)
@click.option(
    "--spark-master",
    default=None,
    help="With --engine spark: the cluster, e.g. spark://host:7077 or local[2]. Default: REFERLY_SPARK_MASTER.",
)
@database_option
def score(
    as_of: datetime | None,
    event_files: tuple[Path, ...],
    folder: Path | None,
    out: Path | None,
    engine: str | None,
    spark_master: str | None,
) -> None:
    """Run the whole scoring pipeline and store the results as a new run."""
    if folder is not None:
        day = as_of.date() if as_of else None
        score_folder(folder, out or folder / "scores", day, list(event_files), engine, spark_master)
        return
    if out is not None:
        raise InvalidInput("--out goes with --folder: runs on the database are stored in it")
    if engine is not None or spark_master is not None:
        raise InvalidInput("--engine and --spark-master go with --folder (with --events, set REFERLY_EVENTS_ENGINE)")
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.scoring.services import score_database

    with transaction.atomic():
        run = score_database(as_of.date() if as_of else None, list(event_files))
    console.print(
        f"Run {run.pk} as of {run.as_of:%Y-%m-%d %H:%M} UTC in {run.seconds:.1f} s: "
        f"{run.counts['pairs']:,} relationships, {run.counts['sponsors']:,} possible sponsors "
        f"({run.counts['gated']:,} gated), {run.counts['actions']:,} next best actions, "
        f"{run.counts['recovery']:,} accounts to recover. Settings {run.settings_hash}."
    )
    _print_timings(run.timings)
    for sentence in left_out(run.counts):
        console.print(sentence)
    for explain in AFTER_SCORE:
        explain(run)


def score_folder(
    folder: Path, out: Path, day: Any, event_files: list[Path], engine: str | None = None, master: str | None = None
) -> None:
    """Score the Parquet export in ``folder`` and write the score tables under ``out``; the database is untouched."""
    import time

    from referly.database import start_django
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files as files_of
    from referly.scoring.folder import folder_inputs, reduce_files, require_tables, write_results
    from referly.scoring.pipeline import as_of_moment, run_pipeline

    start_django()
    require_tables(folder)
    settings = load_settings(stored=False)
    as_of = as_of_moment(day)
    clock = time.perf_counter()
    files = files_of(event_files or [folder / "interactions"])
    pairs = reduce_files(files, int(as_of.timestamp()), settings.strength, engine, master)
    reduced = time.perf_counter()
    inputs = folder_inputs(folder, (as_of - timedelta(seconds=1)).date())
    read = time.perf_counter()
    results = run_pipeline(inputs, as_of, settings, pairs=pairs)
    clock_write = time.perf_counter()
    written = write_results(results, out)
    timings = {
        "reduce the event files": reduced - clock,
        "read the other tables, derive former colleagues": read - reduced,
        **results.timings,
        "write the score tables": time.perf_counter() - clock_write,
    }
    console.print(
        f"Scored {folder} as of {as_of:%Y-%m-%d %H:%M} UTC in {sum(timings.values()):.1f} s: "
        f"{written['relationship_strength']:,} relationships, {written['sponsor_scores']:,} possible sponsors, "
        f"{written['next_best_actions']:,} next best actions; score tables in {out}. Settings {settings.digest}."
    )
    _print_timings(timings)


def _print_timings(timings: dict[str, float]) -> None:
    table = Table(title="Where the time went", show_edge=False)
    table.add_column("Step")
    table.add_column("Seconds", justify="right")
    for name, seconds in timings.items():
        table.add_row(name, f"{seconds:.2f}")
    console.print(table)


@click.command()
@click.option("--owner", help="Only the actions of this teammate (e-mail).")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def actions(owner: str | None, limit: int, as_json: bool) -> None:
    """The next best actions of the latest scoring run, with why."""
    from referly.database import open_database

    open_database()
    from referly.crm.models import Teammate
    from referly.errors import NotFound
    from referly.scoring.queries import latest_run, run_actions

    run = latest_run()
    if run is None:
        raise NotFound("No scoring run yet: run `referly score` first")
    found = run_actions(run)
    if owner:
        teammate = Teammate.objects.filter(email=owner.strip().lower()).first()
        if teammate is None:
            raise NotFound(f"No teammate with the e-mail {owner}")
        found = found.filter(owner=teammate)
    chosen = list(found[:limit])
    skipped = left_out(run.counts)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "id": a.pk,
                        "rank": a.rank,
                        "score": a.score,
                        "sponsor": a.sponsor.name,
                        "sponsor_account": a.sponsor_account.name,
                        "target_account": a.target_account.name,
                        "target_contact": a.target_contact.name,
                        "owner": a.owner.email,
                        "channel": a.channel,
                        "explanation": a.explanation,
                        "components": a.components,
                    }
                    for a in chosen
                ]
            )
        )
        return
    print_actions(run, chosen)
    if not chosen:
        console.print("No next best action in the latest run." + ("" if skipped else " `referly doctor` says why."))
    for sentence in skipped:
        console.print(sentence)


def print_actions(run: Any, chosen: list[Any]) -> None:
    """The actions as a table a sales lead reads: who to ask, for whom, who owns it, how, and why."""
    day = run.as_of - timedelta(seconds=1)
    table = Table(title=f"Next best actions (run {run.pk}, as of the end of {day:%Y-%m-%d})", show_lines=True)
    for column in ("#", "Ask", "For an introduction to", "Owner", "Channel", "Why"):
        table.add_column(column, overflow="fold")
    for a in chosen:
        table.add_row(
            str(a.rank),
            f"{a.sponsor.name}\n{a.sponsor_account.name}",
            f"{a.target_contact.name}\n{a.target_account.name}",
            a.owner.name,
            a.channel,
            a.explanation,
        )
    console.print(table)
