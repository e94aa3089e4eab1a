"""The table of the shared cache the portal's rate limits count in (Django's database cache)."""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_table(apps: Any, schema_editor: Any) -> None:
    del apps
    call_command("createcachetable", "referly_shared_cache", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(create_table, migrations.RunPython.noop)]
