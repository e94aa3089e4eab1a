"""The world each demo ask comes from: who could refer the target, how well they know them, and whether it works.

For a target account and a day, ``CANDIDATES`` client contacts know someone there (its first contact). Each
candidate has latent factors, all drawn or read as they stand before the ask:

- ``tie``: how well the candidate knows the target contact, Beta(2, 2). ``RECORDED`` of the ties are in the
  records long before the ask, as a declared connection whose confidence is the tie plus noise (sd 0.1); the
  others are in nobody's records;
- ``closeness``: how much our team talks to the candidate then: log(1 + touches per 30 days) of the busiest
  teammate's planned touches whose active window holds the day (``touches.plan_touches``);
- ``satisfaction``: the hidden health (0-1) of the candidate's account, which drives its NPS answers and signals,
  averaged with the candidate's own latest NPS answer (over 10) when there is one; a detractor (6 or less) and an
  account in trouble (an open escalation or churn risk) are less likely still (``B_DETRACTOR``, ``B_TROUBLE``);
- ``fit``: whether the target is the kind of company that buys from us: half for one of the four industries
  clients cluster in, half for a mid-size company (the propensity ``firmographics`` draws clients from).

The team asks, half the time, the candidate with the strongest visible path (recorded confidence times
``1 − exp(−touches per 30 days / 4)``), else any of them; a detractor or an account in trouble is asked a fifth as
often as the others. The ask leads to an introduction with probability ``sigmoid(x)``,
``x = B0 + B_TIE·(tie − ½) + B_CLOSE·(closeness − 1.5) + B_SAT·(satisfaction − 0.7) + B_FIT·(fit − ½)
+ B_DETRACTOR·detractor + B_TROUBLE·trouble + ε``, ε ~ N(0, ``NOISE``²): a model of the latent factors plus
noise, never Referly's score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from referly.ingest.demo.context import FloatArray, IntArray
from referly.ingest.demo.firmographics import INDUSTRIES, SWEET_SPOT, Market
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import People
from referly.ingest.demo.touches import TouchPlan

CANDIDATES = 6
RECORDED = 0.85
ASK_BEST = 0.5
B0, B_TIE, B_CLOSE, B_SAT, B_FIT, NOISE = -1.0, 5.0, 0.9, 5.0, 1.5, 0.5
B_DETRACTOR, B_TROUBLE = -1.5, -1.5
AVOIDED = 0.2  # how often, relative to the others, the team asks a detractor or an account in trouble
TROUBLE = ("support_escalation", "churn_risk")


@dataclass(frozen=True)
class Candidate:
    contact: int  # index into People
    tie: float
    recorded: bool
    confidence: float  # as recorded; 0 when the tie is not in the records
    since: int  # day the tie was recorded
    closeness: float
    rate: float  # our team's touches per 30 days with the candidate on the ask's day
    satisfaction: float
    detractor: bool
    trouble: bool

    @property
    def visible_path(self) -> float:
        return self.confidence * (1.0 - float(np.exp(-self.rate / 4.0)))


class World:
    """Latent factors of candidate referrers and targets, and the outcome model."""

    def __init__(
        self, market: Market, people: People, plan: TouchPlan, signals: Frame, rng: np.random.Generator
    ) -> None:
        self.market, self.people, self.rng = market, people, rng
        order = np.argsort(plan.contact, kind="stable")
        self._contact = plan.contact[order]
        self._counts, self._begin, self._end = plan.counts[order], plan.begin[order], plan.end[order]
        sweet = np.array([INDUSTRIES[i][0] in SWEET_SPOT for i in market.industry], dtype=np.float64)
        mid_size = ((market.employees >= 50) & (market.employees <= 5_000)).astype(np.float64)
        self.fit: FloatArray = 0.5 * sweet + 0.5 * mid_size
        self._nps: dict[int, list[tuple[int, int]]] = {}
        self._trouble: dict[int, list[tuple[int, int]]] = {}
        cols = signals.columns
        for contact, account, kind, day, score, resolved in zip(
            cols["contact_id"],
            cols["account_id"],
            cols["kind"],
            _days(cols["occurred_on"]),
            cols["nps_score"],
            _days(cols["resolved_on"]),
            strict=True,
        ):
            if kind == "nps" and contact is not None and score is not None:
                self._nps.setdefault(int(contact), []).append((int(day), int(score)))
            elif kind in TROUBLE:
                self._trouble.setdefault(int(account), []).append(
                    (int(day), int(resolved) if resolved >= 0 else 1 << 40)
                )

    def touch_rate(self, contact: int, day: int) -> float:
        """Touches per 30 days of the busiest teammate whose planned window holds ``day``."""
        contact_id = int(self.people.ids[contact])
        low, high = np.searchsorted(self._contact, [contact_id, contact_id + 1])
        begin, end, counts = self._begin[low:high], self._end[low:high], self._counts[low:high]
        active = (begin <= day) & (day < end)
        if not active.any():
            return 0.0
        return float((counts[active] * 30.0 / (end[active] - begin[active])).max())

    def candidates(self, contacts: IntArray | list[int], day: int) -> list[Candidate]:
        out = []
        for c in contacts:
            tie = float(self.rng.beta(2.0, 2.0))
            recorded = bool(self.rng.random() < RECORDED)
            confidence = round(float(np.clip(tie + self.rng.normal(0.0, 0.1), 0.05, 0.95)), 2) if recorded else 0.0
            since = day - int(self.rng.integers(60, 2_000))
            rate = self.touch_rate(int(c), day)
            account = int(self.people.account[int(c)])
            health = float(self.market.health[account - 1])
            answers = [score for answered, score in self._nps.get(int(self.people.ids[int(c)]), []) if answered < day]
            said = answers[-1] if answers else None
            satisfaction = health if said is None else (health + said / 10.0) / 2.0
            trouble = any(begin < day < end for begin, end in self._trouble.get(account, []))
            detractor = said is not None and said <= 6
            out.append(
                Candidate(
                    int(c),
                    tie,
                    recorded,
                    confidence,
                    since,
                    float(np.log1p(rate)),
                    rate,
                    satisfaction,
                    detractor,
                    trouble,
                )
            )
        return out

    def chance(self, candidate: Candidate, target: int) -> float:
        """The probability that asking ``candidate`` about ``target`` (an account index) leads to an introduction."""
        x = (
            B0
            + B_TIE * (candidate.tie - 0.5)
            + B_CLOSE * (candidate.closeness - 1.5)
            + B_SAT * (candidate.satisfaction - 0.7)
            + B_FIT * (float(self.fit[target]) - 0.5)
            + B_DETRACTOR * candidate.detractor
            + B_TROUBLE * candidate.trouble
            + float(self.rng.normal(0.0, NOISE))
        )
        return float(1.0 / (1.0 + np.exp(-x)))

    def choice_weights(self, candidates: list[Candidate]) -> FloatArray:
        """How likely the team is to ask each candidate: the strongest visible path mostly, else anyone."""
        weights = np.full(len(candidates), (1.0 - ASK_BEST) / len(candidates))
        weights[int(np.argmax([c.visible_path for c in candidates]))] += ASK_BEST
        avoided = np.array([AVOIDED if c.detractor or c.trouble else 1.0 for c in candidates], dtype=np.float64)
        out: FloatArray = weights * avoided
        return out


def _days(iso: list[str | None]) -> IntArray:
    """ISO dates as day numbers; None as -1."""
    days = np.array([d or "NaT" for d in iso], dtype="datetime64[D]")
    out: IntArray = np.where(np.isnat(days), -1, days.astype(np.int64)).astype(np.int64)
    return out
