"""What a capture did, in counts that add up: every message read is captured, a duplicate, skipped by a
rule, or an error; every person met is matched, created, or skipped with the reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaptureError:
    where: str  # file (and message number), or source and UID
    header: str  # the header, field or step at fault
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.header}: {self.reason}"


@dataclass
class Summary:
    read: int = 0  # messages, events or rows
    captured: int = 0  # made at least one touch (new or already known)
    duplicates: int = 0  # the same message met again in this capture
    skipped: Counter[str] = field(default_factory=Counter)  # whole items, by rule
    people: Counter[str] = field(default_factory=Counter)  # matched, created, or skipped by rule
    added: int = 0  # interactions (or connections) written
    errors: list[CaptureError] = field(default_factory=list)
    files: int = 0
    unknown_domains: Counter[str] = field(default_factory=Counter)
    refused: bool = False  # --strict and an error: nothing was written
    outbox: Counter[str] = field(default_factory=Counter)  # what came back for sent messages: reply, bounce...

    @property
    def accounted(self) -> int:
        """Every item read, once: captured + duplicates + skipped + errors (equals ``read``)."""
        return self.captured + self.duplicates + sum(self.skipped.values()) + len(self.errors)

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "captured": self.captured,
            "duplicates": self.duplicates,
            "skipped": dict(sorted(self.skipped.items())),
            "people": dict(sorted(self.people.items())),
            "added": self.added,
            "refused": self.refused,
            "files": self.files,
            "errors": [{"where": e.where, "header": e.header, "reason": e.reason} for e in self.errors],
            "unknown_domains": dict(self.unknown_domains.most_common(20)),
            "outbox": dict(sorted(self.outbox.items())),
        }
