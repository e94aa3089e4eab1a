"""`referly demo`: everything a newcomer needs, from an empty folder to the served dashboard."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

from referly.errors import Conflict, InvalidInput
from referly.ingest.commands import SCALE_NAMES, fill_database, print_counts
from referly.terminal import console

if TYPE_CHECKING:
    from referly.reports.fx import RatesFile

DEMO_DB = Path("referly-demo.db")


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
    until = date.today()
    seconds = fill_database(scale, seed, until)
    print_counts()
    console.print(f"\n[bold green]Demo company ready[/] in {seconds:.0f} s: {describe()}.")
    rates = import_demo_rates(scale, seed, until)
    dates = rates.dates
    console.print(
        f"Exchange rates: {len(rates.rates):,} synthetic rates of the demo company ({', '.join(rates.currencies)} "
        f"per euro, {len(dates):,} working days from {dates[0]} to {dates[-1]}), not the ECB's.",
        highlight=False,
    )
    from django.db import transaction

    from referly.scoring.commands import print_actions
    from referly.scoring.queries import run_actions
    from referly.scoring.services import score_database

    with transaction.atomic():
        run = score_database(None, [])
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


def import_demo_rates(scale: str, seed: int, until: date) -> RatesFile:
    """Store the demo company's synthetic exchange rates as `referly fx import` stores a file, in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from referly.ingest.demo import DemoContext, volumes_for
    from referly.ingest.demo.rates import FILE_NAME, demo_rates_csv
    from referly.reports.exchange_rates import store_rates
    from referly.reports.fx import read_rates

    found = read_rates(demo_rates_csv(DemoContext(volumes_for(scale), seed, until)), FILE_NAME)
    with transaction.atomic():
        store_rates(found, timezone.now())
    return found


DEMO_PASSWORD = "referly-demo"  # the demo's own logins only: a local, synthetic company


def demo_logins(owner: Any) -> list[tuple[str, str]]:
    """The demo's logins, each linked to the teammate of the same e-mail, whose work it shows: the top
    action's owner (a member), their manager (or the owner, when nobody manages them), and an admin."""
    from django.db import transaction

    from referly.access.services import create_user

    made: list[tuple[str, str]] = []
    with transaction.atomic():
        if owner is not None and owner.email:
            lead = owner.manager if owner.manager_id and owner.manager.email else None
            if lead is None:
                create_user(owner.email, "manager", password=DEMO_PASSWORD)
                made.append((owner.email, f"manager: {owner.name}, owner of the top action, and their team"))
            else:
                create_user(owner.email, "member", password=DEMO_PASSWORD)
                made.append((owner.email, f"member: {owner.name}, owner of the top action"))
                create_user(lead.email, "manager", password=DEMO_PASSWORD)
                made.append((lead.email, f"manager: {lead.name}, {owner.name}'s manager, and their team"))
        create_user("admin@northbeam.example", "admin", password=DEMO_PASSWORD, name="Demo Admin")
        made.append(("admin@northbeam.example", "admin: everyone's actions, and Settings"))
    return made
