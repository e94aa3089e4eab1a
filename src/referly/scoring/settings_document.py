"""The scoring settings as a document: written as TOML text, and read from the Settings page's form.

A document is what defaults.toml holds once read: tables of numbers, texts and lists, and the array of ICP
criteria. ``to_toml`` writes one so that ``tomllib`` reads it back unchanged; ``form_fields`` lists the values
the form shows (each named by its path, e.g. ``strength.half_life_days``) and ``apply_form`` lays the posted
values over a document, with a reason for every value that is wrong, so nothing is saved half-checked.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from referly.scoring.config import problems

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def to_toml(document: Mapping[str, Any]) -> str:
    """The document as TOML text: scalars first in each table, then its sub-tables and arrays of tables."""
    lines: list[str] = []
    _table(lines, [], document, header=False)
    return "\n".join(lines).strip() + "\n"


def _table(lines: list[str], path: list[str], table: Mapping[str, Any], *, header: bool, array: bool = False) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and not _is_tables(v)]
    nested = [(k, v) for k, v in table.items() if isinstance(v, dict) or _is_tables(v)]
    if header and (scalars or not nested or array):
        lines.append("")
        name = ".".join(_key(p) for p in path)
        lines.append(f"[[{name}]]" if array else f"[{name}]")
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested:
        if isinstance(value, dict):
            _table(lines, [*path, key], value, header=True)
        else:
            for item in value:
                _table(lines, [*path, key], item, header=True, array=True)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, and every control character (DEL too) as \\uXXXX."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


@dataclass(frozen=True)
class FormField:
    """One value the Settings page's form shows: its path in the document, its table and its text."""

    path: str
    group: str  # icp, criteria, strength, weights, sponsor, gates
    name: str  # the key, or the criterion's name
    text: str
    kind: str = "number"  # or "values": a comma-separated list


def form_fields(document: Mapping[str, Any]) -> list[FormField]:
    """The common values of a document, in the order the form shows them."""
    found = [FormField(f"icp.{k}", "icp", k, _shown(document["icp"][k])) for k in ("tier_a", "tier_b")]
    for i, c in enumerate(document["icp"].get("criteria", [])):
        name = str(c.get("name", i))
        found.append(FormField(f"icp.criteria.{i}.weight", "criteria", name, _shown(c.get("weight", ""))))
        if "any_of" in c:
            found.append(FormField(f"icp.criteria.{i}.any_of", "criteria", name, ", ".join(c["any_of"]), "values"))
        elif "between" in c:
            for end in (0, 1):
                found.append(FormField(f"icp.criteria.{i}.between.{end}", "criteria", name, _shown(c["between"][end])))
    strength = document["strength"]
    for key in ("half_life_days", "saturation", "reciprocity_floor"):
        found.append(FormField(f"strength.{key}", "strength", key, _shown(strength[key])))
    for key, value in strength["weights"].items():
        found.append(FormField(f"strength.weights.{key}", "weights", key, _shown(value)))
    for key, value in document["sponsor"]["weights"].items():
        found.append(FormField(f"sponsor.weights.{key}", "sponsor", key, _shown(value)))
    for key, value in document["gates"].items():
        found.append(FormField(f"gates.{key}", "gates", key, _shown(value)))
    return found


def apply_form(document: Mapping[str, Any], posted: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``document`` with the posted values of its form fields, and every wrong value's reason by path.

    A field that was not posted keeps its value. Numbers may use a decimal comma; a whole number stays one.
    """
    result = copy.deepcopy(dict(document))
    errors: dict[str, str] = {}
    for field in form_fields(document):
        if field.path not in posted:
            continue
        text = posted[field.path].strip()
        if field.kind == "values":
            _set(result, field.path, [v.strip() for v in text.split(",") if v.strip()])
            continue
        number = _number(text)
        if number is None:
            errors[field.path] = "must be a number"
        else:  # a float stays a float, so saving the form unchanged changes nothing, not even the hash
            _set(result, field.path, float(number) if isinstance(_get(document, field.path), float) else number)
    for path, reason in problems(result).items():
        errors.setdefault(path, reason)
    return result, errors


def _number(text: str) -> int | float | None:
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    if re.fullmatch(r"[+-]?\d+", cleaned):
        return int(cleaned)
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _get(document: Mapping[str, Any], path: str) -> Any:
    target: Any = document
    for part in path.split("."):
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target: Any = document
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
