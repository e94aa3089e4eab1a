"""Mappings chosen on the import page, saved as mapping files for the next import of the same export.

They live in a ``mappings`` folder beside the SQLite database (with PostgreSQL, in the folder Referly runs
from), one file per preset and kind: ``mappings/hubspot-opportunities.toml``. Each is an ordinary mapping
file that extends its preset, so ``referly import --mapping mappings/hubspot-opportunities.toml`` reads an
export the same way the page did.
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path

from django.conf import settings

from referly.ingest.kinds import kind_spec
from referly.ingest.mapping import Mapping

OWN = "own"  # the saved mapping of files that use Referly's own column names


def mappings_folder() -> Path:
    chosen = getattr(settings, "REFERLY_MAPPINGS_FOLDER", None)  # tests keep theirs apart
    if chosen:
        return Path(chosen)
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) not in ("", ":memory:"):
        return Path(database["NAME"]).resolve().parent / "mappings"
    return Path.cwd() / "mappings"


def saved_path(preset: str, kind: str) -> Path:
    kind_spec(kind)
    return mappings_folder() / f"{preset or OWN}-{kind}.toml"


def saved_for(preset: str, kind: str) -> Path | None:
    path = saved_path(preset, kind)
    return path if path.is_file() else None


def _quoted(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def render_mapping(
    base: Mapping, kind: str, fields: dict[str, str], stages: dict[str, str], file: str, now: datetime
) -> str:
    """The mapping file for ``fields`` (field -> column, "" for none) and deal ``stages`` (as spelled -> ours)."""
    lines = [f"# Chosen on Referly's import page for {file}, {now:%Y-%m-%d %H:%M} UTC.", ""]
    if base.preset:
        lines.append(f"preset = {_quoted(base.preset)}")
    elif base.source_system:
        lines.append(f"source_system = {_quoted(base.source_system)}")
    section = base.section(kind)
    lines += ["", f"[{kind}.fields]"]
    for name, column in fields.items():
        if column or (base.preset and section.candidates(name)):
            lines.append(f"{name} = {_quoted(column)}")
    if stages and kind == "opportunities":
        lines += ["", f"[{kind}.values.stage]"]
        lines += [f"{_quoted(raw)} = {_quoted(ours)}" for raw, ours in stages.items()]
    return "\n".join(lines) + "\n"


def stages_saved(preset: str, kind: str) -> dict[str, str]:
    """The deal stages an earlier choice mapped, so a new choice adds to them."""
    path = saved_for(preset, kind)
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get(kind, {}).get("values", {}).get("stage", {})
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


def save_mapping(preset: str, kind: str, text: str) -> Path:
    path = saved_path(preset, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".toml.part")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)  # a reader never sees half a file
    return path
