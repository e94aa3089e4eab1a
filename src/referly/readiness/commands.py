"""`referly doctor`: what each list needs, what the records hold, and the command or page that fixes each line.

Importing this module also makes `referly score` say why a list came out empty or thin (``explain_run``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from referly.scoring import commands as scoring_commands
from referly.terminal import console, database_option

if TYPE_CHECKING:  # the checks read models: imported once the database is open
    from referly.readiness.checks import Line, Readiness

MARKS = {"ok": "[green]ok[/green]", "thin": "[yellow]thin[/yellow]", "empty": "[red]empty[/red]"}


def current() -> Readiness:
    """The readiness of the open database, as of now."""
    from referly.readiness.checks import assess
    from referly.readiness.queries import gather

    return assess(gather(datetime.now(tz=UTC).date()))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every line, its numbers and its fix as JSON.")
@database_option
def doctor(as_json: bool) -> None:
    """Say, list by list, what Referly needs, what your records hold, and what to do about each gap."""
    from referly.database import open_database

    open_database()
    found = current()
    if as_json:
        console.print_json(json.dumps(as_json_data(found)))
        return
    print_lines("Your records", found.data, with_fix=True)
    print_lines("What they make possible", found.features, with_fix=True)
    c = found.counts
    if c.mailboxes + c.calendars == 0:
        console.print(
            "No mailbox or calendar connected: connect a mailbox with `referly source add imap …` "
            "or in Settings → Mailboxes and calendars."
        )
    else:
        console.print(f"{c.mailboxes:,} mailbox(es) and {c.calendars:,} calendar(s) connected.")
    if c.teammates_without_email:
        console.print("Teammates without an e-mail: " + ", ".join(c.teammates_without_email))
    for sentence in found.left_out:
        console.print(sentence)


def as_json_data(found: Readiness) -> dict[str, Any]:
    def line(item: Line) -> dict[str, Any]:
        return {**asdict(item), "anchor": item.anchor}

    counts = asdict(found.counts)
    counts["teammates_without_email"] = list(found.counts.teammates_without_email)
    return {
        "records": [line(x) for x in found.data],
        "features": [line(x) for x in found.features],
        "left_out": found.left_out,
        "counts": counts,
    }


def print_lines(title: str, lines: list[Line], *, with_fix: bool) -> None:
    from django.urls import reverse

    table = Table(title=title, show_lines=True)
    for column in ("", "Status", "What", "Numbers", *(("Fix",) if with_fix else ())):
        table.add_column(column, overflow="fold")
    for item in lines:
        numbers = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in item.numbers.items())
        fix = " · ".join(x for x in (item.command, f"web page {reverse(item.page)}" if item.page else "") if x)
        table.add_row(str(item.feature), MARKS[item.status], item.sentence, numbers, *((fix,) if with_fix else ()))
    console.print(table)


def explain_run(run: Any) -> None:
    """After `referly score`: the lines of the lists that came out empty or thin, with their fix."""
    found = current()
    shown = [x for x in found.features if x.status != "ok" and x.key in ("sponsors", "warm-paths", "actions", "gates")]
    for item in shown:
        fix = f" Fix: {item.command}" if item.command else ""
        console.print(f"{item.feature} ({item.status}): {item.sentence}{fix}")
    if shown:
        console.print("`referly doctor` says more.")


if explain_run not in scoring_commands.AFTER_SCORE:
    scoring_commands.AFTER_SCORE.append(explain_run)
