"""The pack read in one pass (touches as columns, models over arrays, resamples in blocks) is the pack read the
straightforward way, to the last bit: on the tiny demo company and on generated journeys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from click.testing import Result

from referly.reports import journey_columns as columnar
from referly.reports.attribution import Journey, Touch
from referly.reports.deals import referral_ratios
from referly.reports.journeys import build_journeys
from referly.reports.multitouch import column_credits, model_credits
from referly.reports.queries import load_records
from referly.reports.review import build_pack
from referly.reports.scope import Goal, Scope
from referly.reports.stats import bootstrap_interval
from referly.reports.volume import net_promoter, row_net_promoters
from tests.reports.reference import as_columns, reference_journeys, reference_path

DAY = "2026-11-01"
MONTHS = [date(2026, 10, 1), date(2026, 6, 1)]


@pytest.fixture
def demo(cli: Callable[..., Result], db: object) -> None:
    made = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY)
    assert made.exit_code == 0, made.output


@pytest.mark.django_db
def test_the_pack_is_the_pack_read_the_straightforward_way(demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    goal = Goal(0.3, 12)
    for month in MONTHS:
        scope = Scope(month, UTC)
        fast = build_pack(scope, goal, None)
        with reference_path(monkeypatch):
            slow = build_pack(scope, goal, None)
        assert fast["metrics"]["multi_touch"]["extra"]["journeys"] > 10
        assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)


@pytest.mark.django_db
def test_the_journeys_are_the_ones_read_from_every_interaction(demo: None) -> None:
    records = load_records(Scope(MONTHS[0], UTC))
    fast, slow = build_journeys(records), reference_journeys(records)
    assert fast == slow
    assert column_credits(as_columns(slow.journeys)) == model_credits(slow.journeys)


def generated(seed: int, count: int = 300) -> list[Journey]:
    """Journeys of 1 to 12 touches over 5 channels, some at the same moment, some with microseconds."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    found = []
    for _ in range(count):
        k = int(rng.integers(1, 13))
        offsets = np.sort(rng.integers(0, 90 * 86_400_000_000, size=k) // int(rng.choice([1, 1_000_000])))
        touches = tuple(
            Touch(f"channel {int(rng.integers(0, 5))}", start + timedelta(microseconds=int(o))) for o in offsets
        )
        found.append(Journey(touches, converted=bool(rng.random() < 0.4), value=float(rng.lognormal(9, 1))))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("measure", ["conversions", "value"])
def test_every_model_over_columns_gives_the_same_credits_to_the_last_bit(seed: int, measure: str) -> None:
    from referly.reports import attribution

    journeys = generated(seed)
    columns = as_columns(journeys)
    assert [columns.journey(j) for j in range(len(columns))] == journeys
    half_life = timedelta(days=5)
    pairs = [
        (attribution.first_touch(journeys, measure=measure), columnar.first_touch(columns, measure=measure)),
        (attribution.last_touch(journeys, measure=measure), columnar.last_touch(columns, measure=measure)),
        (attribution.linear(journeys, measure=measure), columnar.linear(columns, measure=measure)),
        (
            attribution.time_decay(journeys, half_life=half_life, measure=measure),
            columnar.time_decay(columns, half_life=half_life, measure=measure),
        ),
        (
            attribution.position_based(journeys, first=0.3, last=0.5, measure=measure),
            columnar.position_based(columns, first=0.3, last=0.5, measure=measure),
        ),
        (attribution.markov(journeys, measure=measure).credits, columnar.markov(columns, measure=measure)),
    ]
    for one_by_one, together in pairs:
        assert list(one_by_one.items()) == list(together.items())


@pytest.mark.parametrize("size", [1, 7, 10, 333, 3000])
def test_resamples_in_blocks_give_the_interval_of_resamples_one_by_one(size: int) -> None:
    rng = np.random.default_rng(size)
    amounts = rng.lognormal(10, 1, size=size)
    scores = rng.integers(0, 11, size=size).astype(np.float64)
    referral = rng.random(size) < 0.3

    def ratio(indices: np.ndarray) -> float:
        picked = indices.astype(np.int64)
        whole = float(amounts[picked].sum())
        return float(amounts[picked][referral[picked]].sum()) / whole if whole > 0 else 0.0

    cases = [
        (amounts, lambda a: float(np.mean(a)), lambda rows: np.mean(rows, axis=1)),
        (scores, net_promoter, row_net_promoters),
        (
            np.arange(size, dtype=np.float64),
            ratio,
            lambda rows: referral_ratios(amounts, referral, rows.astype(np.int64)),
        ),
    ]
    for sample, statistic, batched in cases:
        alone = bootstrap_interval(sample, statistic, rng=11)
        assert bootstrap_interval(sample, statistic, rng=11, batched=batched) == alone
