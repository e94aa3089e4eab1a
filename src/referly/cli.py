"""The ``referly`` command. One command does one job; errors are sentences, not tracebacks."""

from __future__ import annotations

import sys
from typing import Any

import click

from referly import __version__
from referly.errors import ReferlyError
from referly.terminal import console, database_option, err_console


class ReferlyGroup(click.Group):
    """Renders every expected failure as one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReferlyError as exc:
            err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("[yellow]Interrupted.[/] The unfinished step was rolled back; nothing of it was kept.")
            sys.exit(130)
        except Exception as exc:
            # The database lost mid-command (server restarted, disk full) is a failure to expect, not a bug.
            from referly.database import unavailable

            lost = unavailable(exc)
            if lost is None:
                raise
            err_console.print(f"[bold red]Error:[/] {lost}", highlight=False, soft_wrap=True)
            sys.exit(lost.exit_code)


@click.group(cls=ReferlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="referly")
def main() -> None:
    """Referly: turn referrals into a measured pipeline channel."""


@main.command()
@database_option
def init() -> None:
    """Create the database (or bring it up to date) and say where it is."""
    from referly.database import describe, open_database

    open_database()
    console.print(f"Database ready: {describe()}")


def _register() -> None:
    from referly.demo import demo
    from referly.ingest.commands import demo_data
    from referly.ingest.import_commands import dedupe, import_command

    main.add_command(demo_data)
    main.add_command(demo)
    main.add_command(import_command)
    main.add_command(dedupe)
    from referly.evaluate import evaluate
    from referly.scoring.commands import actions, score

    main.add_command(evaluate)
    main.add_command(score)
    main.add_command(actions)
    from referly.scoring.icp_commands import icp

    main.add_command(icp)
    from referly.privacy.commands import export_person, forget
    from referly.referrals.script_commands import script

    main.add_command(forget)
    main.add_command(export_person)
    from referly.referrals.ask_commands import ask
    from referly.referrals.commands import referral

    main.add_command(referral)
    main.add_command(ask)
    from referly.outbox.commands import outbox
    from referly.outbox.commands import send as ask_send

    ask.add_command(ask_send)
    main.add_command(outbox)
    main.add_command(script)
    from referly.jobs.commands import job, worker

    main.add_command(worker)
    main.add_command(job)
    from referly.readiness.commands import doctor

    main.add_command(doctor)
    from referly.reports.commands import plan, report, review

    main.add_command(review)
    main.add_command(report)
    main.add_command(plan)
    from referly.reports.fx_commands import fx

    main.add_command(fx)
    from referly.access.commands import user
    from referly.audit.commands import audit

    main.add_command(audit)
    from referly.web.serve import serve

    main.add_command(user)
    main.add_command(serve)
    from referly.connect.commands import webhook
    from referly.connect.export_commands import export

    main.add_command(webhook)
    main.add_command(export)
    from referly.portal.commands import portal

    main.add_command(portal)
    from referly.backup.commands import backup, restore

    main.add_command(backup)
    main.add_command(restore)
    from referly.capture.calendar_commands import calendar
    from referly.capture.commands import capture
    from referly.capture.linkedin_commands import linkedin
    from referly.capture.source_commands import source

    capture.add_command(calendar)
    capture.add_command(linkedin)
    main.add_command(capture)
    main.add_command(source)
    from referly.cli_examples import add_examples

    add_examples(main)


_register()
