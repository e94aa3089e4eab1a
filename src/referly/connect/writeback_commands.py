"""`referly export crm`: write-back files for HubSpot, Salesforce or Pipedrive."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click
from rich.table import Table

from referly.errors import InvalidInput
from referly.terminal import console, database_option


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(f"--since: {text!r} is not a date YYYY-MM-DD", field="since", code="bad_date") from None


@click.command("crm")
@click.option("--preset", required=True, help="The CRM: hubspot, salesforce or pipedrive.")
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only records that changed since this day.")
@click.option(
    "--kinds",
    metavar="KIND,...",
    help="Any of accounts,contacts,opportunities,referrals (default: all).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) folder for the files.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@database_option
def crm(preset: str, since_text: str | None, kinds: str | None, out: Path, as_json: bool) -> None:
    """Write CRM import files with each record's referral, sponsor and fit values, keyed on the CRM's ids."""
    since = _since(since_text)
    from referly.database import open_database

    open_database()
    from referly.connect.writeback import crm_for, export, kinds_from

    crm_for(preset)
    chosen = kinds_from(kinds)
    result = export(preset, out, since=since, kinds=chosen)
    from referly.audit.trail import command_line, record

    files = {"preset": preset, "files": dict(result.files)}
    record("export.writeback", actor_label=command_line(), subject=str(out), detail=files)
    if as_json:
        summary = {
            "folder": str(out),
            "files": [{"file": name, "rows": rows} for name, rows in result.files],
            "unkeyed": len(result.unkeyed),
            "notes": result.notes,
        }
        console.print_json(json.dumps(summary))
        return
    table = Table(show_edge=False)
    table.add_column("File")
    table.add_column("Rows", justify="right")
    for name, rows in result.files:
        table.add_row(name, f"{rows:,}")
    console.print(table)
    for note in result.notes:
        console.print(note)
    if result.unkeyed:
        console.print(f"{len(result.unkeyed):,} records cannot be matched in the CRM: listed in {out / 'unkeyed.csv'}")
    console.print(f"Create the custom properties listed in {out / 'README.md'} before importing.")
