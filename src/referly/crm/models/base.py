"""Fields and constraints shared by records that come from another system."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class ExternalRecord(models.Model):
    """A record that may mirror one in a CRM or CS tool: (source_system, external_id) is unique."""

    source_system = models.CharField(max_length=32, blank=True, default="", help_text="e.g. hubspot, salesforce")
    # NULL, not "", for "no external id": the unique constraint must ignore records without one.
    external_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=Q(external_id__isnull=False),
                name="%(app_label)s_%(class)s_unique_external_id",
                violation_error_message="a record with this external_id already exists in this source_system",
            )
        ]


class RowIdField(models.BigAutoField):  # type: ignore[type-arg]
    """A primary key that is SQLite's plain rowid (no AUTOINCREMENT).

    AUTOINCREMENT makes SQLite update ``sqlite_sequence`` on every insert, which costs a
    third of a bulk load. Without it an id can be reused after the newest row is deleted,
    which is harmless for rows nothing refers to (interactions). Other databases are unchanged.
    """

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        suffix: str | None = connection.data_types_suffix.get(self.get_internal_type())
        return suffix


def lower_case(field: str, name: str) -> models.CheckConstraint:
    """The stored value is already normalised to lower case (so uniqueness is case-insensitive)."""
    return models.CheckConstraint(
        condition=Q(**{field: Lower(field)}), name=name, violation_error_message=f"{field} must be lower case"
    )


def one_of(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    """The database itself refuses a value outside the enumeration (imports write in bulk)."""
    allowed = ", ".join(str(v) for v in choices.values)
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=name,
        violation_error_message=f"{field} must be one of: {allowed}",
    )
