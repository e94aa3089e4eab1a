from __future__ import annotations

from django.db import models


class Merge(models.Model):
    """The audit trail of record merges: what was merged into what, what moved, and the record as it was."""

    kind = models.CharField(max_length=16, help_text="accounts or contacts")
    kept_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    merged_record = models.JSONField(help_text="The merged record's fields, as they were.")
    moved = models.JSONField(default=dict, help_text="How many related rows moved, per table.")
    reason = models.CharField(max_length=255, blank=True, default="")
    merged_at = models.DateTimeField()

    class Meta:
        ordering = ["-merged_at"]
        indexes = [models.Index(fields=["kind", "kept_id"], name="merge_kind_kept")]

    def __str__(self) -> str:
        return f"{self.kind} {self.merged_id} -> {self.kept_id}"


class ForgottenAddress(models.Model):
    """An e-mail address `referly forget` erased, kept only as a keyed digest: capture never brings it back."""

    digest = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the normalised address.")
    forgotten_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"forgotten address {self.digest[:8]}…"


def person_digest(person_key: str, company_key: str) -> str:
    """The digest of a forgotten person's name at their company (``crm.moves.person_key`` and
    ``normalise.company_key``), for captures that meet people by name, such as LinkedIn's rows without an e-mail."""
    return address_digest(f"name:{person_key}|{company_key}")


def address_digest(address: str) -> str:
    """The digest ``ForgottenAddress`` keeps: keyed with the deployment's secret, so it cannot be looked up."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("referly.forgotten-address", address.strip().lower(), algorithm="sha256").hexdigest()
