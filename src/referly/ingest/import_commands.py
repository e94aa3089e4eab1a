"""`referly import` and `referly dedupe`."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from referly.errors import InvalidInput
from referly.terminal import console, database_option, err_console

if TYPE_CHECKING:
    from referly.ingest.outcome import FileOutcome


@click.command("import")
@click.argument("arguments", nargs=-1, required=True, metavar="[KIND] FILE")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), help="A mapping file (TOML).")
@click.option("--preset", help="A shipped mapping: hubspot, salesforce or pipedrive.")
@click.option("--strict", is_flag=True, help="One bad row and nothing is written.")
@click.option("--dry-run", is_flag=True, help="Check everything and say what would change; write nothing.")
@click.option(
    "--errors", "errors_out", type=click.Path(dir_okay=False, path_type=Path), help="Write refused rows here."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@database_option
def import_command(
    arguments: tuple[str, ...],
    mapping: Path | None,
    preset: str | None,
    strict: bool,
    dry_run: bool,
    errors_out: Path | None,
    as_json: bool,
) -> None:
    """Import a CRM export: one FILE of a KIND, or a whole FOLDER or zip.

    KIND: teammates, accounts, contacts, interactions, signals, connections, opportunities, referrals.
    """
    from referly.database import open_database

    open_database()
    from django.utils import timezone

    from referly.audit.trail import command_line, import_detail, record
    from referly.ingest.importer import run_import, summary_row, targets_for
    from referly.ingest.mapping import load_mapping
    from referly.ingest.outcome import write_errors

    if len(arguments) > 2:
        raise InvalidInput("Give a KIND and a FILE, or a FOLDER: referly import [KIND] FILE")
    kind, path = (arguments[0], Path(arguments[1])) if len(arguments) == 2 else (None, Path(arguments[0]))
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    rules = load_mapping(mapping, preset)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="referly-import-") as scratch:
        targets, rules = targets_for(kind, path, rules, Path(scratch))
        counted = {"rows": 0}
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task("Reading", total=None)

            def advance(label: str, rows: int) -> None:
                counted["rows"] += rows
                rate = counted["rows"] / max(time.perf_counter() - started, 1e-6)
                progress.update(task, description=f"{label}: {counted['rows']:,} rows, {rate:,.0f} rows/s")

            result = run_import(targets, rules, now=timezone.now(), strict=strict, dry_run=dry_run, on_progress=advance)
    seconds = time.perf_counter() - started
    outcomes = result.outcomes
    if not dry_run:
        done = import_detail(summary_row(o) for o in outcomes)
        event = "import.committed" if result.written else "import.refused"
        record(event, actor_label=command_line(), subject=path.name, detail=done)
    if errors_out is not None:
        write_errors(errors_out, outcomes)
        record("export.refused_rows", actor_label=command_line(), subject=errors_out.name, detail={"import": path.name})
    refused = any(o.refused for o in outcomes)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "written": result.written,
                    "seconds": round(seconds, 2),
                    "files": [summary_row(o) for o in outcomes],
                }
            )
        )
    else:
        _print_summary(outcomes, result.written, dry_run, strict, seconds, errors_out)
    if (refused and strict) or any(o.failure for o in outcomes):
        raise SystemExit(2)


def _print_summary(
    outcomes: list[FileOutcome],
    written: bool,
    dry_run: bool,
    strict: bool,
    seconds: float,
    errors_out: Path | None,
) -> None:
    table = Table(show_edge=False)
    for column in (
        "Kind",
        "File",
        "Created",
        "Updated",
        "Unchanged",
        "Rejected",
        "Duplicates merged",
        "Flagged",
    ):
        table.add_column(column, justify="left" if column in ("Kind", "File") else "right")
    for o in outcomes:
        table.add_row(
            o.kind,
            o.file,
            f"{o.created:,}",
            f"{o.updated:,}",
            f"{o.unchanged:,}",
            f"{o.rejected:,}",
            f"{o.duplicates:,}",
            f"{o.flagged:,}",
        )
    console.print(table)
    for o in outcomes:
        if o.failure:
            err_console.print(f"[red]not imported[/] {o.failure}", highlight=False, soft_wrap=True)
        for w in o.warnings:
            err_console.print(f"[yellow]warning[/] {w.sentence()}", highlight=False, soft_wrap=True)
        for note in o.notes:
            console.print(f"{o.file}: {note}", highlight=False, soft_wrap=True)
        for kind, n in o.references_created.items():
            console.print(f"{o.file}: created {n:,} {kind} it refers to by name")
        if o.job_changes:
            people = "contact" if o.job_changes == 1 else "contacts"
            console.print(f"{o.file}: {o.job_changes:,} {people} changed company (recorded as job changes)")
    errors = [e for o in outcomes for e in o.errors]
    failed = sum(1 for o in outcomes if o.failure)
    for e in errors[:20]:
        err_console.print(f"[red]refused[/] {e.sentence()}", highlight=False, soft_wrap=True)
    if len(errors) > 20:
        err_console.print(
            f"... and {len(errors) - 20:,} more refused rows"
            + (f" (all in {errors_out})" if errors_out else " (write them all with --errors FILE.csv)")
        )
    if dry_run:
        console.print(f"Dry run: nothing was written ({seconds:.1f} s).")
    elif strict and (errors or failed):
        refusals = f"{len(errors):,} refused rows" + (f", {failed:,} files not read" if failed else "")
        err_console.print(f"[bold red]Strict import: {refusals}, so nothing was written.[/]")
    elif written:
        flagged = sum(o.flagged for o in outcomes)
        console.print(
            f"Imported in {seconds:.1f} s."
            + (f" {flagged:,} likely duplicates to review: referly dedupe list" if flagged else "")
            + (f" {failed:,} files were not imported (see above)." if failed else "")
        )


@click.group()
def dedupe() -> None:
    """Review likely duplicate accounts and contacts, and merge them."""


@dedupe.command("list")
@click.option("--kind", type=click.Choice(["accounts", "contacts"]), default=None, help="Default: both.")
@click.option("--json", "as_json", is_flag=True)
@database_option
def dedupe_list(kind: str | None, as_json: bool) -> None:
    """List likely duplicates, each with the reason it is listed."""
    from referly.database import open_database

    open_database()
    from referly.ingest.dedupe import likely_duplicates

    found = [c for k in ([kind] if kind else ["accounts", "contacts"]) for c in likely_duplicates(k)]
    if as_json:
        console.print_json(json.dumps([c.__dict__ for c in found]))
        return
    table = Table(title=f"{len(found):,} likely duplicates", show_edge=False)
    for column in ("Kind", "Id", "Record", "Id", "Record", "Why"):
        table.add_column(column)
    for c in found:
        table.add_row(c.kind, str(c.first_id), c.first, str(c.second_id), c.second, c.reason)
    console.print(table)
    if found:
        console.print("Merge one pair with: referly dedupe merge KIND KEEP_ID OTHER_ID")


@dedupe.command("merge")
@click.argument("kind", type=click.Choice(["accounts", "contacts"]))
@click.argument("keep_id", type=int)
@click.argument("other_id", type=int)
@click.option("--reason", default="", help="Why, for the audit trail.")
@database_option
def dedupe_merge(kind: str, keep_id: int, other_id: int, reason: str) -> None:
    """Merge OTHER_ID into KEEP_ID: everything attached to it moves over; the merge is audited."""
    from django.db import transaction
    from django.utils import timezone

    from referly.database import open_database

    open_database()
    from referly.ingest.dedupe import merge

    with transaction.atomic():
        record = merge(kind, keep_id, other_id, now=timezone.now(), reason=reason)
    moved = ", ".join(f"{n:,} {name}" for name, n in record.moved.items()) or "nothing attached"
    console.print(f"Merged {kind[:-1]} {other_id} into {keep_id} (moved {moved}); audit record #{record.pk}.")
