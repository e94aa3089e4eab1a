"""`referly forget EMAIL` and `referly export-person EMAIL`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from referly.terminal import console, database_option, write_or_echo


@click.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_option
def forget(email: str, yes: bool) -> None:
    """Erase a person's personal data everywhere, keeping anonymised counts. Cannot be undone."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.privacy import services as privacy

    person = privacy.find_person(email)
    if not yes:
        click.confirm(f"Erase {person.name} ({email}) for good?", abort=True)
    from referly.audit.trail import command_line, record

    with transaction.atomic():
        done = privacy.forget(email, timezone.now())
        record("forget", actor_label=command_line(), subject=f"a person (contact {person.pk})", detail=done)
    privacy.after_commit_cleanup()
    summary = ", ".join(f"{count} {what}" for what, count in done.items())
    console.print(f"Erased contact {person.pk}: {summary}.", markup=False)


@click.command("export-person")
@click.argument("email")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: print).")
@database_option
def export_person(email: str, out: Path | None) -> None:
    """Everything held about a person, as JSON (a subject access request)."""
    from referly.database import open_database

    open_database()
    from django.core.serializers.json import DjangoJSONEncoder

    from referly.privacy.services import export_person as export

    text = json.dumps(export(email), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"
    write_or_echo(text, out)
    if out is None:
        return
    console.print(f"Wrote {out}.", markup=False)
