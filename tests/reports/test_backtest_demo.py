"""The backtest on the generated demo company: it labels its figures as synthetic evidence, and it can tell the
action ranking from a deliberately broken one.

The demo's asks and their outcomes come from the generator's model of the world (``referly.ingest.demo.world``):
latent ties, closeness, satisfaction and fit, plus noise, never Referly's score. A ranking that reads those
causes from the records should put the asks that worked on top; one that reverses the sponsor and fit weights and
ignores relationship strength should not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pytest
from click.testing import Result

from referly.reports.backtest import ScoredAsk

SPAN = (date(2025, 11, 2), date(2026, 10, 31))


@pytest.mark.django_db
def test_the_backtest_of_the_demo_says_its_evidence_is_synthetic(cli: Callable[..., Result]) -> None:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    printed = cli("evaluate", "ranking", "--from", "2026-10-01", "--to", "2026-10-31")
    assert printed.exit_code == 0, printed.output
    assert "Synthetic evidence: every account here is under the reserved .example domain" in printed.output
    as_json = cli("evaluate", "ranking", "--from", "2026-10-01", "--to", "2026-10-31", "--json")
    assert '"synthetic": true' in as_json.output


def broken(ask: ScoredAsk) -> float:
    """The action score with its sponsor and fit weights reversed and the relationship strength ignored (every
    scorable path counts fully): a ranking gone wrong the way a bad settings change or a bug would take it."""
    if ask.parts is None:
        return 0.0
    reversed_sponsor = (100.0 - ask.parts["sponsor_score"]) / 100.0
    reversed_fit = 0.3 + 0.7 * (100.0 - ask.parts["fit"]) / 100.0
    return reversed_sponsor * reversed_fit * (0.6 + 0.4 * ask.parts["moment_strength"])


@pytest.mark.django_db
def test_on_a_demo_world_the_backtest_tells_the_action_ranking_from_a_broken_one() -> None:
    from referly.ingest.demo import DemoContext, generate, load
    from referly.ingest.demo.volumes import Volumes
    from referly.reports.backtest import ACTION, replay
    from referly.reports.evidence import Measured, Period
    from referly.scoring.path_eval import auc_difference
    from referly.scoring.ties import roc_auc

    # A company between the tiny and the smb scales: a year of a few hundred asks, generated in seconds.
    volumes = Volumes("test", teammates=16, accounts=1_200, contacts=12_000, interactions=300_000, extra_referrals=500)
    ctx = DemoContext(volumes, 5, date(2026, 11, 1))
    load(ctx, generate(ctx))
    result = replay(Period(*SPAN), 30, read_at=datetime(2026, 11, 1, tzinfo=UTC))

    labels = np.array([a.ask.introduced for a in result.asks], dtype=bool)
    assert len(labels) >= 200 and 0.3 < labels.mean() < 0.8, (len(labels), labels.mean())
    assert sum(a.parts is not None for a in result.asks) >= 0.6 * len(labels)
    for ask in result.asks:  # a pair the run scored keeps the parts of its score; a listed pair was scored
        assert (ask.parts is not None) or (ask.action_rank is None and ask.action_score == 0)

    figures = {r.name: r.auc for r in result.outcomes[0].rankings}
    action = figures[ACTION]
    assert isinstance(action, Measured) and action.interval is not None
    # The action ranking is above chance and above every ranking that needs no model.
    assert action.interval.low > 0.5, action
    for name, figure in figures.items():
        if name != ACTION:
            assert figure.value < action.value, (name, figure, action)

    scores = np.array([a.action_score for a in result.asks])
    wrong = np.array([broken(a) for a in result.asks])
    assert roc_auc(scores, labels) == pytest.approx(action.value)
    difference, (low, high) = auc_difference(scores, wrong, labels)
    # docs/backtest.md quotes these: `pytest tests/reports/test_backtest_demo.py -k broken -s` prints them
    interval = f"({action.interval.low:.2f}-{action.interval.high:.2f})"
    print(f"\n{len(labels)} asks: action ranking {action.value:.3f} {interval}, broken {roc_auc(wrong, labels):.3f}")
    assert difference > 0.1 and low > 0, (difference, low, high)
