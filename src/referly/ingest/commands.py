"""`referly demo-data` and `referly demo`."""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from referly.errors import Conflict, InvalidInput
from referly.terminal import console, database_option

SCALE_NAMES = ["tiny", "smb", "enterprise"]
DEMO_DB = Path("referly-demo.db")


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


def _replaceable(path: Path) -> None:
    """Refuse to replace a database that holds anything but demo data."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            own = db.execute("SELECT COUNT(*) FROM crm_account WHERE source_system <> 'demo'").fetchone()[0]
    except sqlite3.DatabaseError:
        raise Conflict(f"{path} is not a Referly demo database; refusing to replace it") from None
    if own:
        raise Conflict(f"{path} holds {own:,} accounts of your own; refusing to replace it with the demo")


@click.command()
@click.option("--scale", type=click.Choice(SCALE_NAMES), default="smb", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"SQLite file to (re)create. Default: {DEMO_DB}, or REFERLY_DATABASE_URL if set (must be empty).",
)
@click.option("--no-serve", is_flag=True, help="Stop after building the demo instead of serving the dashboard.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to serve on.")
def demo(scale: str, seed: int, db_path: Path | None, no_serve: bool, port: int) -> None:
    """Everything a newcomer needs: a fresh demo company, scored, and what to do next."""
    import os

    from referly import config
    from referly.database import describe, open_database, use_sqlite_file

    if not no_serve:
        from referly.web.serve import check_port

        check_port("127.0.0.1", port)  # before minutes of work, not after
    if scale == "enterprise":
        raise InvalidInput(
            "The enterprise scale is a set of Parquet files for benchmarks, not a database to browse",
            detail="run `referly demo-data --scale enterprise --out FOLDER`",
        )
    if db_path is not None or not os.environ.get(config.DATABASE_URL.name):
        path = db_path or DEMO_DB
        _replaceable(path)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        use_sqlite_file(path)
    open_database()
    seconds = fill_database(scale, seed, date.today())
    print_counts()
    console.print(f"\n[bold green]Demo company ready[/] in {seconds:.0f} s: {describe()}.")
    from referly.scoring.commands import print_actions, score_now
    from referly.scoring.queries import run_actions

    run = score_now(None, [])
    console.print(f"Scored in {run.seconds:.1f} s: {run.counts['actions']:,} next best actions. The top five:")
    best = list(run_actions(run)[:5])
    print_actions(run, best)
    where = f" --db {db_path or DEMO_DB}" if db_path is not None or not os.environ.get(config.DATABASE_URL.name) else ""
    first = best[0].pk if best else "ACTION_ID"
    console.print("\n[bold]Next[/], as a rep would:", highlight=False)
    steps = Table.grid(padding=(0, 3))
    for command, meaning in (
        (f"referly actions{where} --limit 50", "all suggestions, explained"),
        (f"referly script {first}{where} --lang fr", "the ask, ready to send (--channel email, linkedin, ...)"),
        (f"referly referral create --action {first}{where}", "track it: requested, introduced, ... won"),
        (f"referly referral list{where}", "the demo's referral history and its credit"),
        (f"referly report --format html{where}", "last month's review pack with its charts (or --format pdf)"),
    ):
        steps.add_row(Text(f"  {command}"), Text(meaning))
    console.print(steps)
    logins = demo_logins(best[0].owner if best else None)
    console.print("\n[bold]The dashboard[/] (Today, Sponsors, Accounts, Referrals, Reports, Reviews, Import):")
    for email, role in logins:
        console.print(f"  log in as {email} / {DEMO_PASSWORD}  ({role})", highlight=False)
    if no_serve:
        console.print(f"  serve it with: referly serve{where}")
        return
    from referly.web.serve import run_server

    console.print(f"  open http://127.0.0.1:{port}/ (the API: http://127.0.0.1:{port}/api/v1/docs)")
    run_server("127.0.0.1", port)


DEMO_PASSWORD = "referly-demo"  # the demo's own logins only: a local, synthetic company


def demo_logins(owner: Any) -> list[tuple[str, str]]:
    """A manager login (the top action's owner's manager, or the owner) and an admin login for the demo."""
    from django.db import transaction

    from referly.access.services import create_user

    lead = owner.manager if owner is not None and owner.manager_id else owner
    made: list[tuple[str, str]] = []
    with transaction.atomic():
        if lead is not None and lead.email:
            create_user(lead.email, "manager", password=DEMO_PASSWORD)
            made.append((lead.email, f"manager: {lead.name} and their team"))
        create_user("admin@northbeam.example", "admin", password=DEMO_PASSWORD, name="Demo Admin")
        made.append(("admin@northbeam.example", "admin: everything, and Settings"))
    return made
