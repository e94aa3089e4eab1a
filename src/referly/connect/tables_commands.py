"""`referly export tables`: the system of record as tables for analysts (Parquet, CSV or DuckDB)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from referly.connect.tables import FORMATS, Format
from referly.terminal import console, database_option


@click.command("tables")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="parquet",
    show_default=True,
    help="parquet and csv: one file per table; duckdb: one database file referly.duckdb with every table.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="The folder to write into: new, empty, or holding a previous export (which is replaced).",
)
@click.option(
    "--no-personal-data",
    is_flag=True,
    help="Replace people's names, e-mails, phones and titles by stable pseudonyms, and leave out free-text notes.",
)
@database_option
def tables(fmt: Format, out: Path, no_personal_data: bool) -> None:
    """Write accounts, contacts, referrals, asks, credits, deals and the latest scores as tables, with manifest.json."""
    from referly.connect.tables import build_export, check_out, consistent_read, write_export

    check_out(out)  # before reading anything: a wrong folder fails at once
    from referly.database import database_errors, open_database

    open_database()
    from django.conf import settings
    from django.utils import timezone

    now = timezone.now()
    with database_errors(), consistent_read():
        export = build_export(now, personal_data=not no_personal_data, secret=str(settings.SECRET_KEY))
    written = write_export(export, fmt, out)
    from referly.audit.trail import command_line, record

    how = {"format": fmt, "personal_data": not no_personal_data}
    record("export.tables", actor_label=command_line(), subject=str(out), detail=how)

    shown = Table(title=f"Tables as of {now:%Y-%m-%d %H:%M} UTC in {out}", title_justify="left")
    shown.add_column("table")
    shown.add_column("rows", justify="right")
    for name, table in export.tables.items():
        shown.add_row(name, f"{table.num_rows:,}")
    console.print(shown)
    privacy = "without personal data (pseudonyms, no notes)" if no_personal_data else "with personal data"
    console.print(f"{len(written)} files written ({fmt}, {privacy}); see {out / 'manifest.json'}.")
