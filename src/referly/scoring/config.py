"""Scoring settings: the newest version stored in the database, else a TOML file named by REFERLY_SCORING, else
the shipped defaults; with a stable hash and a check of every value that names the wrong field."""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from referly import config
from referly.errors import InvalidInput

KIND_NAMES = ("email_out", "email_in", "meeting", "call", "note", "crm_activity")  # InteractionKind 1..6


@dataclass(frozen=True)
class StrengthSettings:
    half_life_days: float = 30.0
    saturation: float = 6.0
    reciprocity_floor: float = 0.5
    weights: tuple[float, float, float, float, float, float] = (1.0, 1.0, 4.0, 3.0, 0.5, 0.25)


@dataclass(frozen=True)
class Criterion:
    name: str
    field: str
    weight: float
    any_of: tuple[str, ...] = ()
    between: tuple[float, float] | None = None


@dataclass(frozen=True)
class IcpSettings:
    criteria: tuple[Criterion, ...] = ()
    tier_a: float = 70
    tier_b: float = 45


@dataclass(frozen=True)
class MomentRule:
    kind: str  # a signal kind, or nps_promoter
    days: int
    strength: float
    min_score: int = 9


@dataclass(frozen=True)
class GateSettings:
    detractor_max_score: int = 6
    asks_per_quarter: int = 2
    account_asks_per_quarter: int = 4
    cooldown_days: int = 90
    escalation_days: int = 180


@dataclass(frozen=True)
class ScoringSettings:
    strength: StrengthSettings = field(default_factory=StrengthSettings)
    icp: IcpSettings = field(default_factory=IcpSettings)
    moments: tuple[MomentRule, ...] = ()
    gates: GateSettings = field(default_factory=GateSettings)
    sponsor_weights: tuple[tuple[str, float], ...] = ()
    per_sponsor: int = 3
    min_path: float = 0.05
    factors: tuple[tuple[str, float], ...] = ()  # the [actions] weights used in the action score
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def digest(self) -> str:
        """A hash of every setting, stored with each run so results can be traced to their settings."""
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class InForce:
    """The scoring settings in force and where they come from: a stored version, the file, or the defaults."""

    settings: ScoringSettings
    origin: str  # "stored", "file" or "defaults"
    file: Path | None = None
    version: Any = None  # the ScoringSettingsVersion in force, when origin is "stored"


def load_settings(
    path: Path | None = None, *, configured: bool = True, shown_as: str | None = None, stored: bool = True
) -> ScoringSettings:
    """The settings in force: the newest version stored in the database, else the defaults merged with
    ``path`` or with REFERLY_SCORING's file (unless ``configured`` is False: then the defaults alone).
    ``shown_as`` is the file's name in error messages when ``path`` is a draft of it. ``stored=False``
    leaves the database alone (scoring a folder of files, evaluating a log: they have none)."""
    return settings_in_force(path, configured=configured, shown_as=shown_as, stored=stored).settings


def settings_in_force(
    path: Path | None = None, *, configured: bool = True, shown_as: str | None = None, stored: bool = True
) -> InForce:
    """As ``load_settings``, with where the settings come from."""
    if path is None and configured and stored:
        version = _newest_version()
        if version is not None and version.document is not None:
            return InForce(
                settings_from_document(merged(defaults_document(), version.document)), "stored", None, version
            )
    chosen = path or (config.SCORING.path() if configured else None)
    raw = defaults_document()
    if chosen is None:
        return InForce(settings_from_document(raw), "defaults")
    try:
        _merge(raw, tomllib.loads(chosen.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        name = shown_as or str(chosen)
        raise InvalidInput(
            f"Cannot read the scoring settings {name}: {str(exc).replace(str(chosen), name)}",
            code="scoring_settings_unreadable",
        ) from None
    try:
        return InForce(settings_from_document(raw), "file", chosen)
    except InvalidInput as exc:
        name = shown_as or str(chosen)
        raise InvalidInput(
            exc.message.replace("Scoring settings:", f"Scoring settings {name}:", 1), code=exc.code, field=exc.field
        ) from None


def _newest_version() -> Any:
    from django.apps import apps

    if not apps.ready:
        return None
    from django.db import DatabaseError

    from referly.scoring.models import ScoringSettingsVersion

    try:
        return ScoringSettingsVersion.objects.order_by("-changed_at", "-pk").first()
    except DatabaseError:  # not migrated yet: nothing stored
        return None


def defaults_document() -> dict[str, Any]:
    """The shipped defaults.toml, as a fresh document."""
    text = resources.files("referly.scoring").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``override`` laid over it, table by table."""
    result = copy.deepcopy(base)
    _merge(result, copy.deepcopy(override))
    return result


def settings_from_document(raw: dict[str, Any]) -> ScoringSettings:
    """The settings of a whole document, or ``InvalidInput`` naming the first wrong field (``field`` is its path,
    e.g. ``strength.half_life_days``); ``problems`` lists them all."""
    found = problems(raw)
    if found:
        name, reason = next(iter(found.items()))
        raise InvalidInput(f"Scoring settings: {name} {reason}", code="scoring_settings_invalid", field=name)
    s = raw["strength"]
    strength = StrengthSettings(
        float(s["half_life_days"]),
        float(s["saturation"]),
        float(s["reciprocity_floor"]),
        tuple(float(s["weights"][k]) for k in KIND_NAMES),  # type: ignore[arg-type]
    )
    try:
        return _rest(strength, raw)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(f"Scoring settings: missing or wrong value {exc}", code="scoring_settings_invalid") from None


def problems(raw: dict[str, Any]) -> dict[str, str]:
    """Every wrong value of a settings document: its path (``icp.criteria.0.weight``) and what is wrong."""
    found: dict[str, str] = {}

    def number(path: str, low: float | None = None, high: float | None = None, *, whole: bool = False) -> None:
        value: Any = raw
        for part in path.split("."):
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                found[path] = "is missing"
                return
        if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int)):
            found[path] = "must be a whole number" if whole else "must be a number"
        elif (low is not None and value < low) or (high is not None and value > high):
            found[path] = _bounds(low, high)

    for name in ("half_life_days", "saturation"):
        number(f"strength.{name}", 1e-9)
        if found.get(f"strength.{name}", "").startswith("must be at least"):
            found[f"strength.{name}"] = "must be positive"
    number("strength.reciprocity_floor", 0, 1)
    for kind in KIND_NAMES:
        number(f"strength.weights.{kind}", 0)
    number("icp.tier_a", 0, 100)
    number("icp.tier_b", 0, 100)
    icp: dict[str, Any] = raw["icp"] if isinstance(raw.get("icp"), dict) else {}
    if "icp.tier_a" not in found and "icp.tier_b" not in found and icp["tier_b"] > icp["tier_a"]:
        found["icp.tier_b"] = "must not be above tier A"
    criteria = icp.get("criteria", [])
    if not isinstance(criteria, list):
        found["icp.criteria"] = "must be a list of criteria"
        criteria = []
    for i, c in enumerate(criteria):
        _check_criterion(f"icp.criteria.{i}", c, found)
        if isinstance(c, dict) and "weight" in c:
            number(f"icp.criteria.{i}.weight", 0)
    for table, low in (("moments", None), ("gates", 0), ("sponsor.weights", 0)):
        part: Any = raw
        for key in table.split("."):
            part = part.get(key) if isinstance(part, dict) else None
        if not isinstance(part, dict):
            found[table] = "is missing"
            continue
        for key, value in part.items():
            if table == "moments":
                number(f"moments.{key}.days", 1, whole=True)
                number(f"moments.{key}.strength", 0, 1)
                if isinstance(value, dict) and "min_score" in value:
                    number(f"moments.{key}.min_score", 0, 10, whole=True)
            elif table == "gates" and key not in GATE_NAMES:
                found[f"gates.{key}"] = "is not a setting of [gates]"
            else:
                number(f"{table}.{key}", low, whole=table == "gates")
    number("actions.per_sponsor", 1, whole=True)
    for name in ("min_path", "fit_floor", "moment_floor", "early_deal"):
        number(f"actions.{name}", 0, 1)
    for name in ("same_industry", "same_size_band"):
        number(f"actions.{name}", 0)
    return found


GATE_NAMES = {f.name for f in fields(GateSettings)}


def _check_criterion(path: str, c: Any, found: dict[str, str]) -> None:
    if not isinstance(c, dict):
        found[path] = "must be a table with name, field, weight and any_of or between"
        return
    for key in ("name", "field"):
        if not isinstance(c.get(key), str) or not c[key].strip():
            found[f"{path}.{key}"] = "must be a non-empty text"
    if "weight" not in c:
        found[f"{path}.weight"] = "is missing"
    if ("any_of" in c) == ("between" in c):
        found[path] = "needs either any_of (a list of values) or between (two numbers), not both"
    elif "any_of" in c:
        values = c["any_of"]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            found[f"{path}.any_of"] = "must list at least one value"
    else:
        bounds = c["between"]
        numbers = isinstance(bounds, list) and len(bounds) == 2
        if not numbers or any(isinstance(b, bool) or not isinstance(b, int | float) for b in bounds):
            found[f"{path}.between"] = "must be two numbers, the low and the high end"
        elif bounds[0] > bounds[1]:
            found[f"{path}.between"] = "must have its low end first"


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"must be between {low:g} and {high:g}"
    if low is not None:
        return "must not be negative" if low == 0 else f"must be at least {low:g}"
    return f"must be at most {high:g}"


def _rest(strength: StrengthSettings, raw: dict[str, Any]) -> ScoringSettings:
    icp = IcpSettings(
        tuple(
            Criterion(
                str(c["name"]),
                str(c["field"]),
                float(c["weight"]),
                tuple(str(x) for x in c.get("any_of", ())),
                (float(c["between"][0]), float(c["between"][1])) if "between" in c else None,
            )
            for c in raw["icp"]["criteria"]
        ),
        float(raw["icp"]["tier_a"]),
        float(raw["icp"]["tier_b"]),
    )
    moments = tuple(
        MomentRule(kind, int(m["days"]), float(m["strength"]), int(m.get("min_score", 9)))
        for kind, m in raw["moments"].items()
    )
    gates = GateSettings(**{k: int(v) for k, v in raw["gates"].items()})
    weights_of = tuple((str(k), float(v)) for k, v in raw["sponsor"]["weights"].items())
    actions = raw["actions"]
    names = ("fit_floor", "moment_floor", "same_industry", "same_size_band", "early_deal")
    return ScoringSettings(
        strength,
        icp,
        moments,
        gates,
        weights_of,
        int(actions["per_sponsor"]),
        float(actions["min_path"]),
        tuple((k, float(actions[k])) for k in names),
        raw,
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
