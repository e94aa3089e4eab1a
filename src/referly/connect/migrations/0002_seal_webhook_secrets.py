"""Webhook signing secrets sealed at rest: each stored secret encrypted under the deployment's secret key.

On SQLite the old column's pages are overwritten as they are freed (``secure_delete``), so the file keeps no
secret in clear once the table is rebuilt without it.
"""

from typing import Any

from django.db import migrations, models

from referly.kit.sealing import seal, unseal

PURPOSE = b"referly webhook signing secret v1"  # referly.connect.models.SECRET_PURPOSE, fixed forever


def overwrite_freed_pages(apps: Any, schema_editor: Any) -> None:
    del apps
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("PRAGMA secure_delete = ON")


def seal_secrets(apps: Any, schema_editor: Any) -> None:
    del schema_editor
    for subscription in apps.get_model("connect", "Subscription").objects.all():
        subscription.sealed_secret = seal(subscription.secret, PURPOSE)
        subscription.save(update_fields=["sealed_secret"])


def unseal_secrets(apps: Any, schema_editor: Any) -> None:
    del schema_editor
    for subscription in apps.get_model("connect", "Subscription").objects.all():
        subscription.secret = unseal(subscription.sealed_secret, PURPOSE)
        subscription.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("connect", "0001_initial")]

    operations = [
        migrations.RunPython(overwrite_freed_pages, overwrite_freed_pages),
        migrations.AddField(
            model_name="subscription",
            name="sealed_secret",
            field=models.CharField(
                default="",
                help_text="The whsec_ + base64 key that signs each delivery, encrypted (Fernet).",
                max_length=400,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="subscription",
            name="secret",
            field=models.CharField(
                blank=True, default="", help_text="whsec_ + base64 key that signs each delivery.", max_length=80
            ),
        ),
        migrations.RunPython(seal_secrets, unseal_secrets),
        migrations.RemoveField(model_name="subscription", name="secret"),
    ]
