"""`referly demo-data`: the demo company into an empty database, or as Parquet files."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from referly.errors import Conflict
from referly.terminal import console, database_option

SCALE_NAMES = ["tiny", "smb", "enterprise"]


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _until(value: datetime | None) -> date:
    return value.date() if value else date.today()


def fill_database(scale: str, seed: int, until: date) -> float:
    """Generate the demo company into the open, empty database in one transaction; returns seconds."""
    from django.db import transaction

    from referly.census import holds_records
    from referly.database import describe
    from referly.ingest.demo import DemoContext, generate, load, planned_rows, volumes_for

    if holds_records():
        raise Conflict(
            f"The {describe()} already holds records: demo data only goes into an empty database",
            detail="pass --db with a new file name",
        )
    started = time.perf_counter()
    ctx = DemoContext(volumes_for(scale), seed, until)
    with _progress() as progress:
        task = progress.add_task("Generating the demo company", total=None, rate="")
        frames = generate(ctx)
        total = planned_rows(frames)
        progress.update(task, total=total, completed=0, description="Writing")
        written_at = time.perf_counter()

        def advance(label: str, rows: int) -> None:
            done = progress.tasks[task].completed + rows
            rate = done / max(time.perf_counter() - written_at, 1e-6)
            progress.update(task, advance=rows, description=f"Writing {label}", rate=f"{rate:,.0f} rows/s")

        with transaction.atomic():
            load(ctx, frames, on_progress=advance)
        progress.update(task, description="Written", completed=total)
    return time.perf_counter() - started


def print_counts() -> None:
    from referly.census import record_counts

    table = Table(title="Records in the database", show_edge=False)
    table.add_column("Kind")
    table.add_column("Rows", justify="right")
    for name, count in record_counts().items():
        table.add_row(name, f"{count:,}")
    console.print(table)


@click.command("demo-data")
@click.option("--scale", type=click.Choice(SCALE_NAMES), default="smb", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same company.")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day of the generated history. Default: today.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("referly-enterprise"),
    show_default=True,
    help="enterprise scale only: folder for the Parquet files.",
)
@database_option
def demo_data(scale: str, seed: int, until: datetime | None, out: Path) -> None:
    """Generate a realistic synthetic B2B company, reproducible from the seed.

    tiny and smb go into the (empty) database; enterprise (100,000 accounts, 1,000,000 contacts,
    100,000,000 interactions) is written as Parquet files under --out.
    """
    if scale == "enterprise":
        _enterprise(seed, _until(until), out)
        return
    from referly.database import describe, open_database

    open_database()
    seconds = fill_database(scale, seed, _until(until))
    print_counts()
    console.print(f"Demo company ({scale}, seed {seed}) written to the {describe()} in {seconds:.1f} s.")


def _enterprise(seed: int, until: date, out: Path) -> None:
    from referly.database import start_django

    start_django()
    from referly.ingest.demo import DemoContext, volumes_for
    from referly.ingest.demo.parquet import write_enterprise

    volumes = volumes_for("enterprise")
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Generating", total=volumes.interactions, rate="")

        def advance(label: str, rows: int) -> None:
            progress.update(task, description=f"Wrote {label}", advance=rows if label == "interactions" else 0)

        written = write_enterprise(DemoContext(volumes, seed, until), out, advance)
    for name, rows in written.items():
        console.print(f"  {name:<28} {rows:>14,}")
    console.print(f"Enterprise demo written to {out}/ in {time.perf_counter() - started:.0f} s.")
