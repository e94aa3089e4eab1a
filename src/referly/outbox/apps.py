from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "referly.outbox"
    label = "outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Mailbox sources hand over what may answer a sent message (capture cannot import the outbox back).
        from referly.capture.imap import hand_returns_to
        from referly.outbox.returns import apply_incoming, wanted

        hand_returns_to(wanted, apply_incoming)
