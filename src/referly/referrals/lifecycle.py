"""The referral lifecycle: which stage may follow which. A pure function of the two stages.

    identified → requested → introduced → meeting → opportunity → won | lost

Exits: declined (the referrer said no) and no_response (silence after the ask) close a requested
referral; withdrawn closes any open one. A meeting may be skipped (introduced → opportunity), and an
introduction or a meeting may end lost. Closed referrals (won, lost, declined, no_response,
withdrawn) do not move again: a new ask is a new referral.
"""

from __future__ import annotations

from referly.errors import Conflict
from referly.referrals.models import ReferralStage as S

NEXT: dict[str, frozenset[str]] = {
    S.IDENTIFIED: frozenset({S.REQUESTED, S.WITHDRAWN}),
    S.REQUESTED: frozenset({S.INTRODUCED, S.DECLINED, S.NO_RESPONSE, S.WITHDRAWN}),
    S.INTRODUCED: frozenset({S.MEETING, S.OPPORTUNITY, S.LOST, S.WITHDRAWN}),
    S.MEETING: frozenset({S.OPPORTUNITY, S.LOST, S.WITHDRAWN}),
    S.OPPORTUNITY: frozenset({S.WON, S.LOST, S.WITHDRAWN}),
    S.WON: frozenset(),
    S.LOST: frozenset(),
    S.DECLINED: frozenset(),
    S.NO_RESPONSE: frozenset(),
    S.WITHDRAWN: frozenset(),
}
CLOSED = frozenset(stage for stage, following in NEXT.items() if not following)


def check_transition(current: str, target: str) -> None:
    """Nothing when ``current`` may move to ``target``; a ``Conflict`` that says why not otherwise."""
    if target not in NEXT:
        raise Conflict(f"{target!r} is not a referral stage ({', '.join(NEXT)})", field="stage", code="unknown_stage")
    if current in CLOSED:
        raise Conflict(
            f"This referral is closed ({current}): it cannot move to {target}; a new ask is a new referral",
            field="stage",
            code="referral_closed",
        )
    if target == current:
        raise Conflict(f"This referral is already {current}", field="stage", code="same_stage")
    if target not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current]))
        raise Conflict(
            f"A referral cannot go from {current} to {target}; from {current} it can go to: {allowed}",
            field="stage",
            code="forbidden_move",
        )
