"""Versions of the scoring settings kept in the database: save one, list them. The caller owns the transaction.

Each version holds the whole document (every table of defaults.toml), who saved it, when, from where (the
Settings page's form or its TOML text, ``referly icp suggest --apply``) and why. The newest is in force: the
next scoring run, ask or page reads it, with no restart. A version without a document hands the settings
back to the REFERLY_SCORING file, or to the shipped defaults.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any

from referly.errors import InvalidInput
from referly.scoring.config import defaults_document, merged, settings_from_document, settings_in_force
from referly.scoring.models import ScoringSettingsVersion, SettingsSource


def current_document() -> dict[str, Any]:
    """The whole document in force (stored, file or defaults): what an edit starts from."""
    return dict(settings_in_force().settings.raw)


def document_from_text(text: str) -> dict[str, Any]:
    """A TOML text read as a whole document: what it leaves out comes from the shipped defaults."""
    try:
        written = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The TOML text does not parse: {exc}", code="scoring_settings_unreadable") from None
    return merged(defaults_document(), written)


def save_version(
    document: dict[str, Any] | None,
    *,
    changed_by: str,
    source: SettingsSource,
    now: datetime,
    note: str = "",
) -> ScoringSettingsVersion:
    """Store ``document`` as the settings in force, once it checks (``InvalidInput`` names the wrong field).

    ``None`` hands the settings back to the file or the defaults. The version records whose ICP criteria it
    keeps: its own when they differ from those in force before it, else the same as the version before.
    """
    if document is not None:
        document = merged(defaults_document(), document)
        settings_from_document(document)
    before = ScoringSettingsVersion.objects.order_by("-changed_at", "-pk").first()
    version = ScoringSettingsVersion.objects.create(
        document=document, changed_by=changed_by, changed_at=now, source=source, note=note
    )
    if document is None:
        return version
    kept = before is not None and before.document is not None and before.document.get("icp") == document["icp"]
    version.icp_from = before.icp_from if kept and before is not None else version
    version.save(update_fields=["icp_from"])
    return version


def history(limit: int = 20) -> list[ScoringSettingsVersion]:
    """The newest versions first."""
    return list(ScoringSettingsVersion.objects.select_related("icp_from").order_by("-changed_at", "-pk")[:limit])
