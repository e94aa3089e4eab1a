"""Mailboxes and calendars Referly syncs from, where each sync stopped, and the meetings it turned into touches."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from referly.crm.models.base import one_of


class SourceKind(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    CALDAV = "caldav", "CalDAV calendar"


class Security(models.TextChoices):
    TLS = "tls", "TLS (port 993)"
    STARTTLS = "starttls", "STARTTLS"


class Source(models.Model):
    """A mailbox or calendar synced on a schedule. The secret is encrypted with a key derived from the
    deployment's secret key (``secrets.py``); an OAuth2 token is fetched by a command at each sync, never kept."""

    kind = models.CharField(max_length=8, choices=SourceKind.choices)
    host = models.CharField(max_length=255, blank=True, default="")
    port = models.PositiveIntegerField(null=True, blank=True)
    security = models.CharField(max_length=8, choices=Security.choices, default=Security.TLS)
    url = models.CharField(max_length=500, blank=True, default="", help_text="CalDAV: the calendar's address.")
    username = models.CharField(max_length=255)
    secret = models.TextField(blank=True, default="", help_text="The password, encrypted; empty with OAuth2.")
    token_command = models.TextField(blank=True, default="", help_text="Prints an OAuth2 access token.")
    folders = models.JSONField(default=list, blank=True, help_text="IMAP folders to read; empty: INBOX and Sent.")
    owner = models.ForeignKey("crm.Teammate", on_delete=models.CASCADE, related_name="sources")
    ca_file = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_counts = models.JSONField(default=dict, blank=True, help_text="What the last sync read and added.")

    class Meta:
        ordering = ["id"]
        constraints = [
            one_of("kind", SourceKind, "source_kind_valid"),
            one_of("security", Security, "source_security_valid"),
            models.CheckConstraint(condition=Q(kind="caldav") | ~Q(host=""), name="source_imap_has_host"),
            models.CheckConstraint(condition=Q(kind="imap") | ~Q(url=""), name="source_caldav_has_url"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.username}@{self.host or self.url}"

    @property
    def port_in_use(self) -> int:
        """The port given, else IMAP's: 993 for TLS, 143 for STARTTLS."""
        return self.port or (143 if self.security == Security.STARTTLS else 993)

    @property
    def where(self) -> str:
        """``imap host:port`` or ``caldav URL``: how messages about the source name it."""
        return f"imap {self.host}:{self.port_in_use}" if self.kind == SourceKind.IMAP else f"caldav {self.url}"


class SourceCursor(models.Model):
    """Where the sync of one folder or calendar stopped: committed with each batch, so a killed sync resumes."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="cursors")
    folder = models.CharField(max_length=255)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    sync_token = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "folder"], name="source_cursor_unique_folder")]

    def __str__(self) -> str:
        return f"{self.folder} at UID {self.last_uid}"


class CapturedEvent(models.Model):
    """A calendar event (by its UID) and the meeting touches it made, so an update or a cancellation
    replaces them instead of adding more."""

    uid = models.CharField(max_length=500, unique=True)
    touches = models.JSONField(default=list, help_text="[[contact id, teammate id, ISO time], ...]")
    captured_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.uid
