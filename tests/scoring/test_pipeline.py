"""The scoring pipeline on the tiny demo company: what it suggests, what it never suggests, and why."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from referly.crm.models import Account, Contact
from referly.scoring.config import load_settings
from referly.scoring.models import NextBestAction, RelationshipStrength, ScoreRun, SponsorScore
from referly.scoring.sponsors import COMPONENTS, sponsor_scores

pytestmark = pytest.mark.django_db
DAY = "2026-11-01"


@pytest.fixture
def scored(cli: Callable[..., Result]) -> ScoreRun:
    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", DAY).exit_code == 0
    result = cli("score", "--as-of", DAY)
    assert result.exit_code == 0, result.output
    run = ScoreRun.objects.get()
    assert run.settings_hash == load_settings().digest
    return run


def test_a_run_stores_its_results_with_their_components(scored: ScoreRun) -> None:
    assert RelationshipStrength.objects.filter(run=scored).count() == scored.counts["pairs"] > 0
    sponsor = SponsorScore.objects.filter(run=scored).first()
    assert sponsor is not None
    assert set(sponsor.components) == {*COMPONENTS, "risk", "missing"}
    assert all(0 <= s <= 100 for s in SponsorScore.objects.values_list("score", flat=True))
    assert all(0 <= s <= 1 for s in RelationshipStrength.objects.values_list("strength", flat=True))
    assert set(scored.timings) >= {
        "reduce the interactions in the database, read the rest",
        "relationship strength",
        "next best actions",
    }


def test_the_database_reduces_the_events_exactly_as_duckdb_does(scored: ScoreRun) -> None:
    from referly.scoring.store import load_events, reduce_in_database
    from referly.scoring.strength import SUMS, reduce_events

    settings = load_settings().strength
    at = int(scored.as_of.timestamp())
    keys = [("a", "ascending"), ("b", "ascending")]
    in_database = reduce_in_database(at, settings).table.sort_by(keys)
    in_duckdb = reduce_events(load_events(), at, settings).table.sort_by(keys)
    assert in_database.num_rows == in_duckdb.num_rows > 0
    for name in ("a", "b", *SUMS, "touches", "first_ts", "last_ts"):
        assert np.allclose(in_database.column(name).to_numpy(), in_duckdb.column(name).to_numpy(), rtol=1e-9), name


def test_actions_respect_every_rule(scored: ScoreRun) -> None:
    actions = list(NextBestAction.objects.filter(run=scored).select_related("sponsor_account", "target_account"))
    assert actions, "the tiny demo has warm paths to suggest"
    gated = set(SponsorScore.objects.filter(run=scored, gated=True).values_list("contact_id", flat=True))
    per_sponsor = Counter(a.sponsor_id for a in actions)
    assert max(per_sponsor.values()) <= load_settings().per_sponsor
    assert len({a.target_account_id for a in actions}) == len(actions), "each target suggested once"
    for action in actions:
        assert action.sponsor_id not in gated
        assert action.sponsor_account.lifecycle == "client"
        assert action.target_account.lifecycle == "prospect"
        assert not action.target_account.opportunities.filter(stage__in=["proposal", "negotiation"]).exists()
        assert action.sponsor.name in action.explanation and action.target_account.name in action.explanation
    assert [a.rank for a in actions] == list(range(1, len(actions) + 1))
    assert [a.score for a in actions] == sorted((a.score for a in actions), reverse=True)


def test_each_action_says_why_in_the_words_of_its_own_figures(scored: ScoreRun) -> None:
    actions = NextBestAction.objects.filter(run=scored).select_related(
        "sponsor", "sponsor_account", "target_contact", "target_account", "owner"
    )
    assert actions
    for action in actions:
        c, text = action.components, action.explanation
        sponsor, target = action.sponsor, action.target_contact
        assert text.startswith(
            f"{sponsor.name} ({sponsor.title or 'contact'} at {action.sponsor_account.name}) can introduce "
            f"{target.name} ({target.title or 'contact'} at {action.target_account.name}): "
        )
        # The components are kept to 4 decimals: the figures in words may round the other way at a half.
        found = re.search(r"Sponsor score (\d+)/100; (.+?) knows them best \(strength ([\d.]+)\)\.", text)
        assert found and found[2] == action.owner.name
        assert abs(int(found[1]) - c["sponsor_score"]) <= 0.5 + 1e-4 and abs(float(found[3]) - c["tie"]) <= 0.005 + 1e-4
        fit = re.search(r"fits the ICP: tier ([ABC]) \((\d+)/100", text)
        assert fit and fit[1] == c["target_tier"] and abs(int(fit[2]) - c["target_fit"]) <= 0.5 + 1e-4
        assert ("Now is a good time" in text) == bool(c["moment"])
        assert (f"{c['moment_days_left']} days left in the window" in text) == bool(c["moment"])
        assert ("the referral would be influenced, not sourced" in text) == c["early_deal"]
        assert (", and is in " in text) == bool(c["same_industry"])
        expected = "linkedin" if c["tie_kind"] in ("declared", "board_seat") else "call" if c["tie"] >= 0.6 else "email"
        assert action.channel == expected


def test_an_opted_out_sponsor_is_never_suggested_again(cli: Callable[..., Result], scored: ScoreRun) -> None:
    top = NextBestAction.objects.filter(run=scored).order_by("rank").first()
    assert top is not None
    Contact.objects.filter(pk=top.sponsor_id).update(opted_out_of_asks=True)
    assert cli("score", "--as-of", DAY).exit_code == 0
    latest = ScoreRun.objects.order_by("-id").first()
    assert not NextBestAction.objects.filter(run=latest, sponsor_id=top.sponsor_id).exists()
    sponsor = SponsorScore.objects.get(run=latest, contact_id=top.sponsor_id)
    assert sponsor.gated and "opted out of referral asks" in sponsor.gates


def test_a_client_with_a_detractor_goes_to_recovery(cli: Callable[..., Result], scored: ScoreRun) -> None:
    from referly.scoring.models import RecoveryItem

    recovered = set(RecoveryItem.objects.filter(run=scored).values_list("account_id", flat=True))
    assert recovered
    assert set(Account.objects.filter(pk__in=recovered).values_list("lifecycle", flat=True)) == {"client"}


def test_actions_command_prints_and_filters(cli: Callable[..., Result], scored: ScoreRun) -> None:
    printed = cli("actions", "--limit", "3", "--json")
    rows: list[dict[str, Any]] = json.loads(printed.output)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    owner = rows[0]["owner"]
    mine = json.loads(cli("actions", "--owner", owner.upper(), "--limit", "50", "--json").output)
    assert mine and {r["owner"] for r in mine} == {owner}
    assert cli("actions", "--owner", "nobody@example.com").exit_code == 3


def test_actions_before_any_run_say_what_to_do(cli: Callable[..., Result]) -> None:
    result = cli("actions")
    assert result.exit_code == 3
    assert "referly score" in result.output


unit = st.floats(0, 1, allow_nan=False)


@given(st.lists(st.tuples(*[unit] * len(COMPONENTS), st.sampled_from([0.0, 15.0])), min_size=1, max_size=20))
def test_sponsor_scores_stay_between_0_and_100_and_grow_with_each_component(rows: list[tuple[float, ...]]) -> None:
    settings = load_settings()
    components = {name: np.array([r[i] for r in rows]) for i, name in enumerate(COMPONENTS)}
    components["risk"] = np.array([r[-1] for r in rows])
    scores = sponsor_scores(components, settings)
    assert ((scores >= 0) & (scores <= 100)).all()
    for name in COMPONENTS:
        better = {**components, name: np.minimum(1.0, components[name] + 0.1)}
        assert (sponsor_scores(better, settings) >= scores - 1e-12).all()


@pytest.mark.parametrize(("folder", "mapping"), [("maven-crm", "maven-crm.toml"), ("enron-iptm", "enron-iptm.toml")])
def test_scoring_runs_on_imported_real_data(
    cli: Callable[..., Result], datasets: Any, folder: str, mapping: str
) -> None:
    from tests.conftest import ROOT

    assert cli("import", str(datasets / folder), "--mapping", str(ROOT / "docs" / "examples" / mapping)).exit_code == 0
    result = cli("score", "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    run = ScoreRun.objects.get()
    # Enron's e-mails make relationships; Maven records deals, not touches.
    assert (run.counts["pairs"] > 0) == (folder == "enron-iptm")
    assert RelationshipStrength.objects.filter(run=run).count() == run.counts["pairs"]
    assert run.counts["actions"] == 0  # neither dataset records clients with ties to prospects


def test_a_settings_file_changes_the_run_and_its_hash(
    cli: Callable[..., Result], scored: ScoreRun, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scoring.toml").write_text("[actions]\nper_sponsor = 1\n")
    monkeypatch.setenv("REFERLY_SCORING", str(tmp_path / "scoring.toml"))
    assert cli("score", "--as-of", DAY).exit_code == 0
    latest = ScoreRun.objects.order_by("-id").first()
    assert latest is not None and latest.settings_hash != scored.settings_hash
    per_sponsor = Counter(NextBestAction.objects.filter(run=latest).values_list("sponsor_id", flat=True))
    assert per_sponsor and max(per_sponsor.values()) == 1


def test_a_broken_settings_file_is_one_clear_error(
    cli: Callable[..., Result], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scoring.toml").write_text("[strength]\nhalf_life_days = -3\n")
    monkeypatch.setenv("REFERLY_SCORING", str(tmp_path / "scoring.toml"))
    result = cli("score")
    assert result.exit_code == 2
    assert "strength.half_life_days must be positive" in result.output and "scoring.toml" in result.output
