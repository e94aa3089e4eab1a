"""Where an account stands with us, and that rule as SQL for the queries that score and report.

Kept apart from the models so that the scoring engine can name the stages without loading Django's apps.
"""

from __future__ import annotations

from django.db import models

from referly.kit.sql import sql_in


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CLIENT = "client", "Client"
    PARTNER = "partner", "Partner"
    CHURNED = "churned", "Churned"


def lifecycle_in(column: str, *stages: Lifecycle) -> str:
    """SQL that is true where ``column`` holds one of ``stages``: the one way queries test a lifecycle."""
    return f"{column} IN {sql_in(stage.value for stage in stages)}"
