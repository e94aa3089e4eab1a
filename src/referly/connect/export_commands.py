"""`referly export crm|tables`: Referly's records for the team's CRM and for its analysts."""

from __future__ import annotations

import click

from referly.connect.tables_commands import tables
from referly.connect.writeback_commands import crm


@click.group()
def export() -> None:
    """Write Referly's records out: CRM import files (write-back) or tables for analysts.

    \b
    Examples:
      referly export crm --preset hubspot --out hubspot-writeback/
      referly export tables --format parquet --out referly-tables/ --no-personal-data
    """


export.add_command(crm)
export.add_command(tables)
