"""The ICP our own deals suggest: its statistics hold for any deals, and on the demo company it finds what
the generator makes win."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.scoring.icp_suggest import Deal, suggest_icp, wilson

INDUSTRIES = ["Software", "Retail", "Energy", "Media"]
deal = st.builds(
    Deal,
    won=st.sampled_from([True, False, None]),
    account=st.fixed_dictionaries(
        {
            "industry": st.sampled_from([*INDUSTRIES, "", None]),
            "employees": st.one_of(st.none(), st.integers(1, 20_000)),
            "country": st.sampled_from(["US", "FR", "DE"]),
        },
        optional={"custom.segment": st.sampled_from(["a", "b"]), "custom.score": st.integers(0, 9)},
    ),
)
deals = st.lists(deal, max_size=150)


@given(deals, st.integers(1, 40), st.integers(1, 15))
def test_weights_are_whole_and_sum_to_100_and_only_clearing_values_enter(
    found: list[Deal], min_deals: int, min_value: int
) -> None:
    s = suggest_icp(found, min_deals=min_deals, min_value_deals=min_value)
    if s.criteria:
        assert sum(c.weight for c in s.criteria) == 100
        assert all(c.weight > 0 for c in s.criteria)
        assert [c.weight for c in s.criteria] == sorted((c.weight for c in s.criteria), reverse=True)
    clearing = {(c.name, v.value) for c in s.columns for v in c.values if v.clears}
    for c in s.criteria:
        assert all((c.name, value) in clearing for value in c.any_of)
        assert c.met_won / c.met > c.missed_won / max(c.missed, 1) or c.missed == 0
    if s.decided < min_deals:
        assert s.criteria == () and not s.sufficient


@given(deals)
def test_every_interval_holds_its_point_estimate(found: list[Deal]) -> None:
    s = suggest_icp(found, min_deals=1, min_value_deals=1)
    if s.rate is not None and s.rate_interval is not None:
        assert s.rate in s.rate_interval
    for column in s.columns:
        for v in column.values:
            assert 0 <= v.rate_interval.low <= v.rate <= v.rate_interval.high <= 1
            if v.lift is not None and v.lift_interval is not None:
                assert v.lift_interval.low <= v.lift <= v.lift_interval.high
                assert v.clears == (v.enough and v.value != "(unknown)" and v.lift_interval.low > 1)
        assert sum(v.n for v in column.values) == s.decided or column.note


@given(deals, st.randoms(use_true_random=False))
def test_the_order_of_the_deals_changes_nothing(found: list[Deal], random: Any) -> None:
    shuffled = list(found)
    random.shuffle(shuffled)
    assert suggest_icp(shuffled, min_deals=5, min_value_deals=2) == suggest_icp(found, min_deals=5, min_value_deals=2)


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_wilson_interval_is_the_reports_one(counts: tuple[int, int]) -> None:
    from referly.reports.stats import wilson as reported

    ours, theirs = wilson(*counts), reported(*counts)
    assert ours.low == pytest.approx(theirs.low, abs=1e-12) and ours.high == pytest.approx(theirs.high, abs=1e-12)


def test_below_the_minimum_it_proposes_nothing() -> None:
    few = [Deal(True, {"industry": "Software"})] * 20 + [Deal(False, {"industry": "Retail"})] * 9
    s = suggest_icp(few, min_deals=30)
    assert not s.sufficient and s.criteria == ()
    enough = suggest_icp([*few, Deal(False, {"industry": "Retail"})], min_deals=30)
    assert enough.sufficient and [c.any_of for c in enough.criteria] == [("Software",)]


def test_open_deals_are_counted_but_decide_nothing() -> None:
    decided = [Deal(True, {"industry": "Software"})] * 20 + [Deal(False, {"industry": "Retail"})] * 20
    with_open = [*decided, *[Deal(None, {"industry": "Retail"})] * 50]
    a, b = suggest_icp(decided), suggest_icp(with_open)
    assert (b.decided, b.open) == (40, 50) and a.criteria == b.criteria and a.columns == b.columns


# --- The demo company: what the generator makes win ------------------------------------------------------


def generator_truth() -> list[tuple[str, float, Any]]:
    """The criteria the demo generator makes clients of, strongest first, read from its own code: each term
    ``weight * flag`` of ``p_customer`` in ``generate_market``, and what sets each flag (the sweet-spot
    industries, the size range)."""
    from referly.ingest.demo import firmographics

    tree = ast.parse(inspect.getsource(firmographics.generate_market))
    assigned = {
        node.targets[0].id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    terms: list[tuple[str, float]] = []

    def walk(expression: ast.expr) -> None:
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            walk(expression.left)
            walk(expression.right)
        elif isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Mult):
            weight, flag = expression.left, expression.right
            assert isinstance(weight, ast.Constant) and isinstance(flag, ast.Name)
            terms.append((flag.id, float(weight.value)))

    walk(assigned["p_customer"])
    truth = []
    for flag, weight in sorted(terms, key=lambda t: -t[1]):
        source = ast.unparse(assigned[flag])
        if "SWEET_SPOT" in source:
            truth.append(("industry", weight, set(firmographics.SWEET_SPOT)))
        elif "employees" in source:
            bounds = [n.value for n in ast.walk(assigned[flag]) if isinstance(n, ast.Constant)]
            truth.append(("employees", weight, (min(bounds), max(bounds))))
        else:
            raise AssertionError(f"the generator makes clients by {flag} ({source}): teach this test to read it")
    return truth


def demo_deals(accounts: int, seed: int) -> list[Deal]:
    """The demo generator's accounts and new-business deals (a client's later deals are expansions), as
    ``referly demo`` makes them, at a size where a 95% interval can tell the criteria apart."""
    from referly.crm.models import OpportunityStage
    from referly.ingest.demo.context import DemoContext
    from referly.ingest.demo.deals import generate_pipeline
    from referly.ingest.demo.firmographics import generate_market, generate_team
    from referly.ingest.demo.volumes import Volumes

    volumes = Volumes("icp", teammates=40, accounts=accounts, contacts=accounts, interactions=0, extra_referrals=0)
    ctx = DemoContext(volumes, seed, date(2026, 11, 1))
    team, _ = generate_team(ctx)
    market, frame = generate_market(ctx, team)
    pipeline = generate_pipeline(ctx, market)
    first_win: dict[int, int] = {}
    for d in pipeline.deals:
        if d.stage == OpportunityStage.WON:
            first_win[d.account] = min(first_win.get(d.account, d.closed), d.closed)
    columns = frame.columns
    found = []
    for d in pipeline.deals:
        if d.account in first_win and d.created > first_win[d.account]:
            continue
        won = {OpportunityStage.WON: True, OpportunityStage.LOST: False}.get(OpportunityStage(d.stage))
        a = d.account
        account = {
            "industry": columns["industry"][a],
            "employees": int(columns["employees"][a]),
            "annual_revenue": float(columns["annual_revenue"][a]),
            "country": columns["country"][a],
        }
        found.append(Deal(won, account))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7])
def test_on_the_demo_company_it_finds_the_generators_icp_in_its_order(seed: int) -> None:
    truth = generator_truth()
    assert [field for field, _, _ in truth] == ["industry", "employees"], "the generator's truth as read"
    s = suggest_icp(demo_deals(20_000, seed))
    fields = [c.field for c in s.criteria]
    assert fields[: len(truth)] == [field for field, _, _ in truth], fields
    industry = s.criteria[0]
    assert set(industry.any_of) == truth[0][2]
    size = s.criteria[1]
    low, high = truth[1][2]
    assert size.between is not None and low <= size.between[0] and size.between[1] <= high
    assert "country" not in fields, "where an account is plays no part in the generator"
    assert industry.weight > size.weight > 0
