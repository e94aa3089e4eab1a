"""A capture's summary for people (a Rich table) and for machines (``--json``)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from referly.capture.summary import Summary
from referly.terminal import console, err_console

ERRORS_SHOWN = 20


def show(summary: Summary, *, as_json: bool, dry_run: bool, what: str = "messages") -> None:
    """Print the summary; exit 1 when a strict capture was refused."""
    if as_json:
        click.echo(json.dumps({**summary.as_json(), "dry_run": dry_run}, indent=2))
    else:
        console.print(table(summary, what, dry_run))
        for error in summary.errors[:ERRORS_SHOWN]:
            err_console.print(f"  {error}", markup=False, highlight=False)
        if len(summary.errors) > ERRORS_SHOWN:
            err_console.print(f"  … and {len(summary.errors) - ERRORS_SHOWN} more (--json lists them all)")
        if summary.unknown_domains:
            top = ", ".join(f"{d} ({n})" for d, n in summary.unknown_domains.most_common(5))
            console.print(
                f"People at {len(summary.unknown_domains)} company domain(s) that are no account were counted, "
                f"not created: {top}. Import those accounts, or capture again with --create-accounts.",
                markup=False,
            )
        if why := nothing_added(summary):
            console.print(why, markup=False)
    if summary.refused:
        err_console.print(f"{len(summary.errors)} error(s): nothing was captured (--strict).", markup=False)
        raise SystemExit(1)


def table(summary: Summary, what: str, dry_run: bool) -> Table:
    title = f"Capture{' (dry run: nothing written)' if dry_run else ''}"
    out = Table(title=title, show_header=False, title_justify="left")
    out.add_column("what")
    out.add_column("count", justify="right")
    out.add_row(f"{what} read", f"{summary.read:,}")
    out.add_row("  captured", f"{summary.captured:,}")
    if summary.duplicates:
        out.add_row("  duplicates (already read in this capture)", f"{summary.duplicates:,}")
    for reason, count in sorted(summary.skipped.items()):
        out.add_row(f"  skipped: {reason}", f"{count:,}")
    out.add_row("  errors", f"{len(summary.errors):,}")
    out.add_row("interactions added" if what != "connections" else "connections added", f"{summary.added:,}")
    for label, count in sorted(summary.people.items()):
        out.add_row(f"people: {label}", f"{count:,}")
    for outcome, count in sorted(summary.outbox.items()):  # what came back for the messages Referly sent
        out.add_row(f"sent messages: {outcome.replace('_', ' ')}", f"{count:,}")
    return out


# What to do when a rule skipped most of a capture, by that rule.
_REMEDIES = {
    "none of us in it": "none of its people is on our side: set REFERLY_TEAM_DOMAINS to the team's mail domains, "
    "or give --mailbox-owner (docs/capture.md)",
    "internal only": "everyone on it is on our side: nothing to learn about clients there",
    "mailing list or bulk": "it is list and bulk mail, which says nothing about a relationship",
    "only people never captured": "its people are all skipped (the lines under people say why)",
}


def nothing_added(summary: Summary) -> str:
    """One sentence when a capture added nothing, saying why and what to do; empty otherwise."""
    if summary.added or not summary.read or summary.refused:
        return ""
    if summary.captured:
        return "Nothing new: every touch in it was captured before."
    if summary.people["our address, not a teammate"]:
        return (
            "Nothing added: our side's addresses in it belong to no teammate; add the teammates with their e-mail "
            "(referly import teammates, or referly user create), or give --mailbox-owner."
        )
    if not summary.skipped:
        return "Nothing added: no message could be read (the errors above say why)."
    rule, count = summary.skipped.most_common(1)[0]
    remedy = _REMEDIES.get(rule, "")
    return f"Nothing added: {count:,} of {summary.read:,} skipped as {rule}" + (f": {remedy}." if remedy else ".")
