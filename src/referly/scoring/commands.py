"""`referly evaluate ties`: reading an interaction log, and printing what the evaluation measured."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
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
    from referly.scoring.config import load_settings
    from referly.scoring.ties import evaluate_ties as run
    from referly.scoring.ties import undirected

    if mapping is not None:
        src, dst, ts = _through_mapping(events_path, mapping)
    else:
        if not (source and target and time_column):
            raise InvalidInput("Name the --source, --target and --time columns (or give --mapping)")
        src, dst, ts = _from_file(events_path, source, target, time_column)
    if len(ts) == 0:
        raise InvalidInput(f"{events_path}: no events")
    at = _cutoff(cutoff, ts)
    result = run(undirected(src, dst, ts), at, horizon, load_settings().strength)
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


def _from_file(path: Path, source: str, target: str, time_column: str) -> tuple[Any, Any, Any]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    try:
        relation = con.read_csv(str(path))
        if len(relation.columns) == 1:  # the sniffer does not try spaces: SNAP-style "SRC DST SECONDS" logs
            first = str(relation.columns[0]).split()
            header = not all(part.lstrip("-").isdigit() for part in first)
            relation = con.read_csv(str(path), sep=" ", header=header)
    except duckdb.Error as exc:
        raise InvalidInput(f"{path}: cannot be read as a delimited file ({exc})") from None
    names = relation.columns

    def column(name: str) -> str:
        if name in names:
            return name
        if name.isdigit() and 1 <= int(name) <= len(names):
            return names[int(name) - 1]
        raise InvalidInput(f"{path} has no column {name!r} (columns: {', '.join(names)})")

    s, t, w = column(source), column(target), column(time_column)
    kind = str(relation.types[names.index(w)]).upper()
    when = (
        f'"{w}"::BIGINT'
        if kind in ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE")
        else f'epoch(CAST("{w}" AS TIMESTAMP))::BIGINT'
    )
    try:
        data = con.sql(f'SELECT "{s}"::VARCHAR AS s, "{t}"::VARCHAR AS t, {when} AS ts FROM relation').fetchnumpy()
    except duckdb.Error as exc:
        raise InvalidInput(f"{path}: the time column {w!r} is neither epoch seconds nor a date ({exc})") from None
    return (*_ids(data["s"], data["t"]), np.asarray(data["ts"], dtype=np.int64))


def _through_mapping(path: Path, mapping_path: Path) -> tuple[Any, Any, Any]:
    import numpy as np

    from referly.database import start_django

    start_django()
    from referly.ingest.importer import joined_rows, plan_folder
    from referly.ingest.kinds import kind_spec
    from referly.ingest.mapping import load_mapping
    from referly.ingest.outcome import FileOutcome
    from referly.ingest.readers import read_table
    from referly.ingest.rows import MappedRow, RowConverter

    mapping = load_mapping(mapping_path)
    files = [p for k, p in plan_folder(path, mapping) if k == "interactions"] if path.is_dir() else [path]
    section = mapping.section("interactions")
    src: list[str] = []
    dst: list[str] = []
    ts: list[int] = []
    far = datetime(9999, 1, 1, tzinfo=UTC)
    for file in files:
        table = read_table(file, section.read)
        converter = RowConverter(kind_spec("interactions"), section, file.name, far, table.columns)
        for item in joined_rows(table.rows, section, file, FileOutcome("interactions", file.name)):
            row = converter.convert(item)
            if isinstance(row, MappedRow):
                src.append(row.values["teammate"])
                dst.append(row.values["contact"])
                ts.append(int(row.values["occurred_at"].timestamp()))
    return (*_ids(np.array(src), np.array(dst)), np.array(ts, dtype=np.int64))


def _ids(source: Any, target: Any) -> tuple[Any, Any]:
    """People as integers, whatever their ids look like."""
    import numpy as np

    _, codes = np.unique(np.concatenate([source.astype(str), target.astype(str)]), return_inverse=True)
    return codes[: len(source)], codes[len(source) :]


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
@database_option
def score(as_of: datetime | None, event_files: tuple[Path, ...], folder: Path | None, out: Path | None) -> None:
    """Run the whole scoring pipeline and store the results as a new run."""
    if folder is not None:
        score_folder(folder, out or folder / "scores", as_of.date() if as_of else None, list(event_files))
        return
    if out is not None:
        raise InvalidInput("--out goes with --folder: runs on the database are stored in it")
    from referly.database import open_database

    open_database()
    run = score_now(as_of.date() if as_of else None, list(event_files))
    console.print(
        f"Run {run.pk} as of {run.as_of:%Y-%m-%d %H:%M} UTC in {run.seconds:.1f} s: "
        f"{run.counts['pairs']:,} relationships, {run.counts['sponsors']:,} possible sponsors "
        f"({run.counts['gated']:,} gated), {run.counts['actions']:,} next best actions, "
        f"{run.counts['recovery']:,} accounts to recover. Settings {run.settings_hash}."
    )
    _print_timings(run.timings)


def score_folder(folder: Path, out: Path, day: Any, event_files: list[Path]) -> None:
    """Score the Parquet export in ``folder`` and write the score tables under ``out``; the database is untouched."""
    import time

    from referly.database import start_django
    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files as files_of
    from referly.scoring.folder import folder_inputs, reduce_files, require_tables, write_results
    from referly.scoring.pipeline import as_of_moment, run_pipeline

    start_django()
    require_tables(folder)
    settings = load_settings()
    as_of = as_of_moment(day)
    clock = time.perf_counter()
    pairs = reduce_files(files_of(event_files or [folder / "interactions"]), int(as_of.timestamp()), settings.strength)
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


def score_now(day: Any, event_files: list[Path]) -> Any:
    """Load, score, save; returns the stored run."""
    import time

    from django.db import transaction

    from referly.scoring.config import load_settings
    from referly.scoring.folder import event_files as files_of
    from referly.scoring.folder import reduce_files
    from referly.scoring.pipeline import as_of_moment, run_pipeline
    from referly.scoring.store import load_inputs, reduce_in_database, save_results

    settings = load_settings()
    started_at = datetime.now(tz=UTC)
    as_of = as_of_moment(day)
    clock = time.perf_counter()
    if event_files:
        pairs = reduce_files(files_of(event_files), int(as_of.timestamp()), settings.strength)
    else:
        pairs = reduce_in_database(int(as_of.timestamp()), settings.strength)
    inputs = load_inputs()
    loaded = time.perf_counter() - clock
    results = run_pipeline(inputs, as_of, settings, pairs=pairs)
    step = (
        "reduce the event files, read the database"
        if event_files
        else ("reduce the interactions in the database, read the rest")
    )
    results.timings = {step: round(loaded, 3), **results.timings}
    clock = time.perf_counter()
    with transaction.atomic():
        run = save_results(results, settings.digest, started_at)
        run.timings = {**results.timings, "write the results": round(time.perf_counter() - clock, 3)}
        run.seconds = round(sum(run.timings.values()), 3)
        run.save(update_fields=["timings", "seconds"])
    return run


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
