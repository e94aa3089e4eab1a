"""`referly capture linkedin Connections.csv --teammate EMAIL`: a teammate's LinkedIn connections as declared ties.

Each row of the export is a declared connection between the teammate and the person, found among the
contacts by e-mail, else by name at the company (its name, normalised, is the account's ``name_key``).
A person not found becomes a contact (``source_system = "capture"``) when the company is a known account,
and is counted otherwise. Blocklisted, forgotten, do-not-contact and opted-out people are skipped and
counted, as every capture does. A known contact the export shows at another known account has changed
jobs (``crm.moves``). A second capture of the same file adds nothing (docs/capture-linkedin.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from referly.capture.commands import common_options
from referly.terminal import database_option


@click.command("linkedin")
@click.argument("path", metavar="CONNECTIONS.CSV", type=click.Path(exists=False, dir_okay=False, path_type=Path))
@click.option("--teammate", "teammate", required=True, metavar="EMAIL", help="The teammate whose export this is.")
@common_options
@database_option
def linkedin(path: Path, teammate: str, strict: bool, dry_run: bool, as_json: bool) -> None:
    """Capture the Connections.csv of a LinkedIn data export as the teammate's declared connections.

    People are matched by e-mail, else by name at their company; one at a known account is created when
    not found. Blocklisted, forgotten and do-not-contact people are skipped and counted
    (docs/capture-linkedin.md).

    \b
    Example:
      referly capture linkedin ~/Downloads/Basic_LinkedInDataExport/Connections.csv --teammate alice@example.com
    """
    from referly.database import open_database

    open_database()
    from django.utils import timezone

    from referly.capture.connections import capture_connections
    from referly.capture.report import show

    summary = capture_connections(path, teammate=teammate, now=timezone.now(), strict=strict, dry_run=dry_run)
    show(summary, as_json=as_json, dry_run=dry_run, what="connections")
