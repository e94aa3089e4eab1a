"""Tie strength tuned on the earlier part of a log and judged on the later part; the guards; --apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import Result
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from referly.scoring.config import StrengthSettings
from referly.scoring.strength import DAY, SUMS, reduce_events
from referly.scoring.ties import Bootstrap, roc_auc
from referly.scoring.tuning import HALF_LIVES, pair_sums, tune_ties
from tests.conftest import ROOT

SYNTHETIC_START = 1_600_000_000  # 2020-09-13: the synthetic log's first day


def synthetic_log(path: Path, seed: int = 1, pairs: int = 600) -> Path:
    """A synthetic log: each pair is alive for an exponential while (mean 60 days), touching 0.3 times a day."""
    rng = np.random.default_rng(seed)
    rows = ["from,to,at"]
    for _ in range(pairs):
        x, y = (int(v) for v in rng.choice(120, 2, replace=False))
        start = rng.uniform(0, 400)
        life = rng.exponential(60)
        days = start + np.sort(rng.uniform(0, life, rng.poisson(0.3 * life) + 1))
        for d in days[days < 460]:
            sender, receiver = (x, y) if rng.random() < 0.5 else (y, x)
            rows.append(f"p{sender},p{receiver},{SYNTHETIC_START + int(d * DAY)}")
    rows.append(f"p0,p1,{SYNTHETIC_START + 460 * int(DAY)}")  # the log's last day: 2021-12-17
    path.write_text("\n".join(rows) + "\n")
    return path


def args(log: Path, *more: str) -> list[str]:
    return ["evaluate", "ties", "--events", str(log), "--source", "from", "--target", "to", "--time", "at", *more]


events_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 6), st.integers(0, 400 * 86_400)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(events_strategy, st.sampled_from(HALF_LIVES))
def test_the_one_pass_sums_equal_the_sql_reduction_for_every_half_life(
    rows: list[tuple[int, int, int, int]], half_life: float
) -> None:
    a, b, kind, ts = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
    events = pa.table({"a": np.minimum(a, b), "b": np.maximum(a, b), "kind": kind.astype(np.int8), "ts": ts})
    as_of = 401 * 86_400
    fast = pair_sums(events, as_of, (half_life,))
    sql = reduce_events(events, as_of, StrengthSettings(half_life_days=half_life)).table.sort_by(
        [("a", "ascending"), ("b", "ascending")]
    )
    assert fast.a.tolist() == sql.column("a").to_pylist() and fast.b.tolist() == sql.column("b").to_pylist()
    assert fast.touches.tolist() == sql.column("touches").to_pylist()
    for k, name in enumerate(SUMS):
        assert np.allclose(fast.sums[half_life][:, k], sql.column(name).to_numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2, max_size=40))
def test_the_bootstrap_auc_with_every_pair_once_is_the_plain_auc(rows: list[tuple[float, bool]]) -> None:
    scores = np.array([s for s, _ in rows])
    labels = np.array([y for _, y in rows])
    boot = Bootstrap(labels, resamples=1)
    boot.weights = [np.ones(len(labels))]
    expected = roc_auc(scores, labels)
    got = boot.aucs(scores)[0]
    assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected)


def test_the_choice_uses_only_the_log_before_the_cutoff(tmp_path: Path) -> None:
    from referly.ingest.logs import read_log
    from referly.scoring.ties import undirected

    src, dst, ts = read_log(synthetic_log(tmp_path / "log.csv"), "from", "to", "at")
    events = undirected(src, dst, ts)
    cutoff = SYNTHETIC_START + 300 * int(DAY)
    tuned = tune_ties(events, cutoff, 60.0, StrengthSettings(), resamples=200)
    assert tuned.status == "measured" and tuned.chosen_half_life_days in HALF_LIVES
    # on this fast synthetic log (ties live about 60 days) a short half-life wins, and keeps winning after the cutoff
    assert tuned.chosen_half_life_days is not None and tuned.chosen_half_life_days <= 7
    gain = next(d for d in tuned.differences if d.baseline == "default")
    assert gain.ci[0] > 0 and tuned.verdict == "better than the half-life in force"
    assert tuned.choice_split.end == tuned.judged_split.cutoff == "2021-07-10"  # choice labels end at the cutoff
    # whatever happens after the cutoff cannot change the choice
    after = events.column("ts").to_numpy() >= cutoff
    a, b = events.column("a").to_numpy().copy(), events.column("b").to_numpy().copy()
    a[after], b[after] = np.roll(a[after], 7), np.roll(b[after], 3)  # other pairs touch after the cutoff
    other = pa.table({"a": a, "b": b, "kind": events.column("kind"), "ts": events.column("ts")})
    assert tune_ties(other, cutoff, 60.0, StrengthSettings(), resamples=10).choice_auc == tuned.choice_auc
    for d in tuned.differences:
        assert d.ci[0] <= d.difference <= d.ci[1]
    assert tuned.auc_ci["tuned"][0] <= tuned.auc["tuned"] <= tuned.auc_ci["tuned"][1]


def test_a_horizon_past_the_log_is_refused_naming_its_last_date(cli: Callable[..., Result], tmp_path: Path) -> None:
    log = synthetic_log(tmp_path / "log.csv")
    result = cli(*args(log, "--cutoff", "2021-11-01", "--horizon", "90"))
    assert result.exit_code == 2
    assert "the log ends on 2021-12-17: a 90-day horizon after 2021-11-01 runs past it" in result.output
    assert "Traceback" not in result.output
    assert cli(*args(log, "--cutoff", "2021-11-01", "--horizon", "90", "--tune")).exit_code == 2


@pytest.mark.django_db
def test_too_few_positives_say_insufficient_data_with_the_counts(cli: Callable[..., Result], tmp_path: Path) -> None:
    log = synthetic_log(tmp_path / "log.csv", pairs=20)
    plain = cli(*args(log, "--cutoff", "2021-07-10", "--horizon", "30", "--json"))
    assert plain.exit_code == 0, plain.output
    figures = json.loads(plain.output)
    assert figures["status"] == "insufficient data" and figures["auc"] == {} and figures["positives"] < 30
    tuned = cli(*args(log, "--cutoff", "2021-07-10", "--horizon", "30", "--tune"))
    assert tuned.exit_code == 0 and "insufficient data" in tuned.output and "positive and" in tuned.output
    refused = cli(*args(log, "--cutoff", "2021-07-10", "--horizon", "30", "--tune", "--apply"))
    assert refused.exit_code == 2 and "Nothing to apply: insufficient data" in refused.output


@pytest.mark.django_db
def test_without_apply_nothing_changes_and_apply_stores_the_choice_with_its_evidence(
    cli: Callable[..., Result], tmp_path: Path, client: Client, team: object
) -> None:
    from referly.scoring.config import settings_in_force
    from referly.scoring.models import ScoringSettingsVersion, SettingsSource
    from tests.web.conftest import logged_in

    log = synthetic_log(tmp_path / "log.csv")
    dry = cli(*args(log, "--cutoff", "2021-07-10", "--horizon", "60", "--tune", "--json"))
    assert dry.exit_code == 0, dry.output
    figures = json.loads(dry.output)
    assert figures["applied_version"] is None and not ScoringSettingsVersion.objects.exists()
    assert {d["baseline"] for d in figures["differences"]} == {"count", "recency", "default"}
    applied = cli(*args(log, "--cutoff", "2021-07-10", "--horizon", "60", "--tune", "--apply"))
    assert applied.exit_code == 0, applied.output
    version = ScoringSettingsVersion.objects.get()
    assert version.source == SettingsSource.TIE_TUNING and version.changed_by == "referly evaluate ties --tune --apply"
    assert version.note.startswith(f"evaluate ties --tune on {log}, measured AUC ")
    assert settings_in_force().settings.strength.half_life_days == figures["chosen_half_life_days"]
    html = logged_in(client, team.admin).get(reverse("web:settings")).content.decode()  # type: ignore[attr-defined]
    assert 'id="half-life-origin"' in html and "evaluate ties --tune on" in html


def test_tuned_strength_beats_count_and_recency_on_both_public_logs(cli: Callable[..., Result], datasets: Path) -> None:
    eu = cli(
        "evaluate", "ties", "--events", str(datasets / "eu-core-temporal" / "email-Eu-core-temporal.txt.gz"),
        "--source", "1", "--target", "2", "--time", "3", "--cutoff", "31536000", "--tune", "--json",
    )  # fmt: skip
    enron = cli(
        "evaluate", "ties", "--events", str(datasets / "enron-iptm"),
        "--mapping", str(ROOT / "docs" / "examples" / "enron-iptm.toml"), "--cutoff", "2001-08-07", "--tune", "--json",
    )  # fmt: skip
    for result in (eu, enron):
        assert result.exit_code == 0, result.output
        figures = json.loads(result.output)
        assert figures["status"] == "measured"
        assert figures["auc"]["tuned"] > max(figures["auc"]["count"], figures["auc"]["recency"])
