"""Scoring settings: the shipped defaults, or a TOML file named by REFERLY_SCORING, with a stable hash."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from referly import config
from referly.errors import InvalidInput

KIND_NAMES = ("email_out", "email_in", "meeting", "call", "note")  # InteractionKind 1..5


@dataclass(frozen=True)
class StrengthSettings:
    half_life_days: float = 30.0
    saturation: float = 6.0
    reciprocity_floor: float = 0.5
    weights: tuple[float, float, float, float, float] = (1.0, 1.0, 4.0, 3.0, 0.5)


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


def load_settings(path: Path | None = None, *, configured: bool = True, shown_as: str | None = None) -> ScoringSettings:
    """The defaults merged with ``path``, or with REFERLY_SCORING's file (unless ``configured`` is False).
    ``shown_as`` is the file's name in error messages when ``path`` is a draft of it."""
    text = resources.files("referly.scoring").joinpath("defaults.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    chosen = path or (config.SCORING.path() if configured else None)
    if chosen is not None:
        try:
            _merge(raw, tomllib.loads(chosen.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            name = shown_as or str(chosen)
            raise InvalidInput(
                f"Cannot read the scoring settings {name}: {str(exc).replace(str(chosen), name)}",
                code="scoring_settings_unreadable",
            ) from None
    try:
        s = raw["strength"]
        weights = tuple(float(s["weights"][k]) for k in KIND_NAMES)
        strength = StrengthSettings(
            float(s["half_life_days"]),
            float(s["saturation"]),
            float(s["reciprocity_floor"]),
            weights,  # type: ignore[arg-type]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"Scoring settings: missing or wrong value {exc}", code="scoring_settings_invalid") from None
    if not 0 <= strength.reciprocity_floor <= 1:
        raise InvalidInput(
            "Scoring settings: strength.reciprocity_floor must be between 0 and 1", code="scoring_settings_invalid"
        )
    if strength.half_life_days <= 0 or strength.saturation <= 0 or min(weights) < 0:
        raise InvalidInput(
            "Scoring settings: half-life and saturation must be positive, weights not negative",
            code="scoring_settings_invalid",
        )
    try:
        return _rest(strength, raw)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(f"Scoring settings: missing or wrong value {exc}", code="scoring_settings_invalid") from None


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
