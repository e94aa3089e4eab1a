"""Ties outside the interaction log: teammates' declared connections and shared board seats."""

from __future__ import annotations

import numpy as np

from referly.crm.models import Connection, ConnectionKind, Seniority
from referly.ingest.demo.context import DemoContext, dates_or_none
from referly.ingest.demo.firmographics import Market, Team
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import People


def generate_ties(ctx: DemoContext, market: Market, team: Team, people: People) -> list[Frame]:
    rng = ctx.rng("ties")
    n = len(people.ids)
    declared = {
        (int(c), int(t)) for c, t in zip(rng.choice(people.ids, n // 15), rng.choice(team.ids, n // 15), strict=True)
    }
    teammate_ties = Frame(
        Connection,
        {
            "from_contact_id": [c for c, _ in declared],
            "teammate_id": [t for _, t in declared],
            "kind": ConnectionKind.DECLARED.value,
            "confidence": np.round(rng.uniform(0.4, 0.8, len(declared)), 2),
            "provenance": "Declared by the teammate (LinkedIn connection)",
            "since": dates_or_none(rng.integers(ctx.first_day - 2_000, ctx.today, len(declared))),
        },
    )
    executives = np.flatnonzero(np.array(people.seniority) == Seniority.EXECUTIVE)
    pairs: set[tuple[int, int]] = set()
    for _ in range(max(10, len(market.ids) // 15)):
        a, b = (int(x) for x in rng.choice(executives, 2, replace=False))
        if people.account[a] != people.account[b]:
            pairs.add((int(people.ids[min(a, b)]), int(people.ids[max(a, b)])))
    board_ties = Frame(
        Connection,
        {
            "from_contact_id": [a for a, _ in sorted(pairs)],
            "to_contact_id": [b for _, b in sorted(pairs)],
            "kind": ConnectionKind.BOARD_SEAT.value,
            "confidence": 0.8,
            "provenance": "Sit on the same board",
            "since": dates_or_none(rng.integers(ctx.first_day - 1_500, ctx.today, len(pairs))),
        },
    )
    return [teammate_ties, board_ties]
