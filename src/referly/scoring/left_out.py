"""What a scoring run left out and why, in plain words, from the counts stored with the run (``skipped.REASON``
per warm path, ``gated.CODE`` per possible sponsor)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import ngettext


def _path_words() -> dict[str, tuple[str, str]]:
    return {
        "sponsor_gated": (
            "%(n)d warm path skipped: the sponsor is gated (see below).",
            "%(n)d warm paths skipped: the sponsor is gated (see below).",
        ),
        "late_deal": (
            "%(n)d warm path skipped: the target has a late-stage deal.",
            "%(n)d warm paths skipped: the target has a late-stage deal.",
        ),
        "already_referred": (
            "%(n)d warm path skipped: the target is already referred.",
            "%(n)d warm paths skipped: the target is already referred.",
        ),
        "target_taken": (
            "%(n)d warm path skipped: the target is suggested through a better sponsor.",
            "%(n)d warm paths skipped: the target is suggested through a better sponsor.",
        ),
        "per_sponsor_cap": (
            "%(n)d warm path skipped: the sponsor already has the most suggestions a run makes per sponsor.",
            "%(n)d warm paths skipped: the sponsor already has the most suggestions a run makes per sponsor.",
        ),
        "weak_path": (
            "%(n)d tie skipped: the path through it is weaker than the minimum.",
            "%(n)d ties skipped: the path through them is weaker than the minimum.",
        ),
        "sponsor_untouched": (
            "%(n)d tie skipped: nobody on our team has a touch with the sponsor.",
            "%(n)d ties skipped: nobody on our team has a touch with the sponsor.",
        ),
    }


def _gate_words() -> dict[str, tuple[str, str]]:
    return {
        "detractor": ("%(n)d possible sponsor gated: detractor NPS.", "%(n)d possible sponsors gated: detractor NPS."),
        "escalation": (
            "%(n)d possible sponsor gated: open support escalation.",
            "%(n)d possible sponsors gated: open support escalation.",
        ),
        "churn_risk": ("%(n)d possible sponsor gated: churn risk.", "%(n)d possible sponsors gated: churn risk."),
        "opted_out": (
            "%(n)d possible sponsor gated: opted out of asks.",
            "%(n)d possible sponsors gated: opted out of asks.",
        ),
        "do_not_contact": (
            "%(n)d possible sponsor gated: do not contact.",
            "%(n)d possible sponsors gated: do not contact.",
        ),
        "asks_cap": (
            "%(n)d possible sponsor gated: asked too often this quarter.",
            "%(n)d possible sponsors gated: asked too often this quarter.",
        ),
        "account_asks_cap": (
            "%(n)d possible sponsor gated: their account was asked too often this quarter.",
            "%(n)d possible sponsors gated: their account was asked too often this quarter.",
        ),
        "cooldown": (
            "%(n)d possible sponsor gated: cooling down after a declined ask.",
            "%(n)d possible sponsors gated: cooling down after a declined ask.",
        ),
    }


def left_out(counts: Mapping[str, object]) -> list[str]:
    """Each reason a run left something out, as a sentence, in a fixed order; reasons that held nothing are silent."""
    found = []
    for prefix, words in (("skipped.", _path_words()), ("gated.", _gate_words())):
        for reason, (one, many) in words.items():
            n = counts.get(prefix + reason, 0)
            if isinstance(n, int) and n > 0:
                found.append(ngettext(one, many, n) % {"n": n})
    return found
