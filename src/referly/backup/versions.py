"""Is a copy a Referly database this version of the code can run? Its migrations say so.

Django records each migration applied in ``django_migrations``. A copy without that table is not a
Referly database; a copy holding a migration the code does not know was written by a newer Referly,
and running this version on it would misread its tables.
"""

from __future__ import annotations

from collections.abc import Iterable

from referly.errors import InvalidInput

Migration = tuple[str, str]
# The app every Referly database has: a copy without any migration of it is some other Django project's.
RECORDS_APP = "crm"


def known_migrations() -> set[Migration]:
    """Every migration the installed code ships, read from its files (no database is opened)."""
    from django.db.migrations.loader import MigrationLoader

    from referly.database import start_django

    start_django()
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def check_applied(copy: str, applied: Iterable[Migration] | None, known: set[Migration]) -> None:
    """Refuse ``copy`` (as named to the user) unless its applied migrations are all known to the code.

    ``applied`` is None when the copy has no ``django_migrations`` table."""
    if applied is None:
        raise InvalidInput(f"{copy} is not a Referly database: it has no table of migrations")
    rows = set(applied)
    if not any(app == RECORDS_APP for app, _ in rows):
        raise InvalidInput(f"{copy} is not a Referly database: none of its migrations is Referly's")
    newer = sorted(rows - known)
    if newer:
        shown = ", ".join(f"{app}.{name}" for app, name in newer[:3]) + (" …" if len(newer) > 3 else "")
        raise InvalidInput(
            f"{copy} was written by a newer Referly: it has {len(newer)} migration(s) this version does not"
            f" know ({shown}); install the version that wrote it, or a newer one, and restore again"
        )
