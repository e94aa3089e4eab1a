"""The audit trail: who did what, when and from where, kept for a retention period an admin chooses."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "referly.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from referly.audit.receivers import connect

        connect()
