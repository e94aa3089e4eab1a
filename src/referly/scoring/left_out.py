"""What a scoring run left out and why, in plain words, from the counts stored with the run (``skipped.REASON``
per warm path, ``gated.CODE`` per possible sponsor)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import ngettext

from referly.kit.numbers import counted


def _path_words() -> dict[str, tuple[str, str]]:
    return {
        "sponsor_gated": (
            "%(n)s warm path skipped: the sponsor is gated (see below).",
            "%(n)s warm paths skipped: the sponsor is gated (see below).",
        ),
        "late_deal": (
            "%(n)s warm path skipped: the target has a late-stage deal.",
            "%(n)s warm paths skipped: the target has a late-stage deal.",
        ),
        "already_referred": (
            "%(n)s warm path skipped: the target is already referred.",
            "%(n)s warm paths skipped: the target is already referred.",
        ),
        "target_taken": (
            "%(n)s warm path skipped: the target is suggested through a better sponsor.",
            "%(n)s warm paths skipped: the target is suggested through a better sponsor.",
        ),
        "per_sponsor_cap": (
            "%(n)s warm path skipped: the sponsor already has the most suggestions a run makes per sponsor.",
            "%(n)s warm paths skipped: the sponsor already has the most suggestions a run makes per sponsor.",
        ),
        "weak_path": (
            "%(n)s tie skipped: the path through it is weaker than the minimum.",
            "%(n)s ties skipped: the path through them is weaker than the minimum.",
        ),
        "sponsor_untouched": (
            "%(n)s tie skipped: nobody on our team has a touch with the sponsor.",
            "%(n)s ties skipped: nobody on our team has a touch with the sponsor.",
        ),
    }


def _gate_words() -> dict[str, tuple[str, str]]:
    return {
        "detractor": ("%(n)s possible sponsor gated: detractor NPS.", "%(n)s possible sponsors gated: detractor NPS."),
        "escalation": (
            "%(n)s possible sponsor gated: open support escalation.",
            "%(n)s possible sponsors gated: open support escalation.",
        ),
        "churn_risk": ("%(n)s possible sponsor gated: churn risk.", "%(n)s possible sponsors gated: churn risk."),
        "opted_out": (
            "%(n)s possible sponsor gated: opted out of asks.",
            "%(n)s possible sponsors gated: opted out of asks.",
        ),
        "do_not_contact": (
            "%(n)s possible sponsor gated: do not contact.",
            "%(n)s possible sponsors gated: do not contact.",
        ),
        "asks_cap": (
            "%(n)s possible sponsor gated: asked too often this quarter.",
            "%(n)s possible sponsors gated: asked too often this quarter.",
        ),
        "account_asks_cap": (
            "%(n)s possible sponsor gated: their account was asked too often this quarter.",
            "%(n)s possible sponsors gated: their account was asked too often this quarter.",
        ),
        "cooldown": (
            "%(n)s possible sponsor gated: cooling down after a declined ask.",
            "%(n)s possible sponsors gated: cooling down after a declined ask.",
        ),
    }


def left_out(counts: Mapping[str, object]) -> list[str]:
    """Each reason a run left something out, as a sentence, in a fixed order; reasons that held nothing are silent."""
    found = []
    for prefix, words in (("skipped.", _path_words()), ("gated.", _gate_words())):
        for reason, (one, many) in words.items():
            n = counts.get(prefix + reason, 0)
            if isinstance(n, int) and n > 0:
                found.append(ngettext(one, many, n) % {"n": counted(n)})
    return found
