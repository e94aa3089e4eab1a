"""What one file holds, when nobody said: from the mapping's file names, then from the header row.

With no mapping chosen, Referly's own column names and every shipped preset are candidates, so a HubSpot
deals export imports as it is. The candidate whose fields the header names best wins; a tie is an error
naming the candidates, never a guess.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from referly.errors import InvalidInput
from referly.ingest.kinds import KINDS, ORDER
from referly.ingest.mapping import Mapping, Section, load_preset, preset_names
from referly.ingest.readers import read_table

# File names that say what a file holds, when no mapping does.
KIND_WORDS = {
    "teammates": ["teammate", "team", "user", "owner", "agent", "employee"],
    "accounts": ["account", "compan", "organi"],
    "contacts": ["contact", "people", "person"],
    "opportunities": ["opportunit", "deal", "pipeline"],
    "interactions": ["interaction", "activit", "email", "touch"],
    "signals": ["signal", "nps", "event"],
    "connections": ["connection", "relationship"],
    "referrals": ["referral"],
}


@dataclass(frozen=True)
class Candidate:
    kind: str
    mapping: Mapping
    score: float

    @property
    def label(self) -> str:
        return f"{self.kind} (preset {self.mapping.preset})" if self.mapping.preset else self.kind


def globbed(name: str, mapping: Mapping) -> list[str]:
    """The kinds whose mapping section lists this file name."""
    return [
        kind
        for kind, section in mapping.sections.items()
        if kind and any(fnmatch.fnmatch(name.lower(), g.lower()) for g in section.files)
    ]


def named(name: str) -> str | None:
    stem = Path(name).stem.lower()
    return next((k for k in ORDER if any(word in stem for word in KIND_WORDS[k])), None)


def header_score(kind: str, section: Section, header: list[str]) -> int:
    """How many of the kind's fields the header gives; 0 when a required field has no column."""
    have = set(header)
    spec = KINDS[kind]
    given = {
        f.name
        for f in spec.fields
        if (section.column_in(f.name, have) if section.fields else f.name in have) or f.name in section.constants
    }
    if any(f.required and f.name not in given for f in spec.fields):
        return 0
    return len(given - set(section.constants))


def recognise(path: Path, mapping: Mapping) -> tuple[str, Mapping]:
    """The kind of ``path`` and the mapping that reads it."""
    chosen = bool(mapping.sections)
    if chosen:
        listed = globbed(path.name, mapping)
        if len(listed) == 1:
            return listed[0], mapping
        kinds = listed or [k for k in ORDER if k in mapping.sections] or ORDER
        read = mapping.section(kinds[0]).read
        header = read_table(path, read).columns
        candidates = [Candidate(k, mapping, header_score(k, mapping.section(k), header)) for k in kinds]
    else:
        header = read_table(path).columns
        hint = named(path.name)
        candidates = [
            Candidate(k, mapping, header_score(k, Section(k), header) + (0.5 if k == hint else 0)) for k in ORDER
        ]
        for preset in preset_names():
            rules = load_preset(preset)
            listed = globbed(path.name, rules)
            candidates += [
                Candidate(k, rules, header_score(k, s, header) + (0.5 if k in listed else 0))
                for k, s in rules.sections.items()
                if k
            ]
    candidates = [c for c in candidates if c.score >= 1]
    if not candidates:
        raise InvalidInput(
            f"{path.name}: cannot tell what the file holds from its name or its columns "
            f"({', '.join(header[:12])}); say it: referly import KIND {path.name} [--preset NAME | --mapping FILE]"
        )
    best = max(c.score for c in candidates)
    top = [c for c in candidates if c.score == best]
    if len(top) > 1:
        raise InvalidInput(
            f"{path.name} could hold {' or '.join(c.label for c in top)}: its name and columns fit each as well; "
            f"say which: referly import KIND {path.name}" + ("" if chosen else " --preset NAME")
        )
    return top[0].kind, top[0].mapping
