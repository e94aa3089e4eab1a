"""One audit event: a kind, who did it, from where, about what, when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Something an admin may need to account for later: a login, a role change, an export, a forget..."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40, db_index=True, help_text="What happened, e.g. login.failed.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=254, blank=True, default="", help_text="Who, as said at the time: a login, a sponsor link, system."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True, default="", help_text="What it was about.")
    detail = models.JSONField(default=dict, blank=True)
    mentions = models.TextField(
        blank=True, default="", help_text="The e-mail addresses it names, lower case, space separated (for forget)."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"], name="audit_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.actor_label} {self.subject}"
