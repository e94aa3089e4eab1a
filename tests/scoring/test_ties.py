"""The tie evaluation: its statistics on known values, and the command on real logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

from referly.scoring.ties import precision_at, roc_auc
from tests.conftest import ROOT


def test_roc_auc_matches_hand_counted_pairs_with_ties_as_half() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    labels = np.array([True, False, True, False, False])
    # positive/negative pairs: (0.9 > all 3) = 3; (0.8 vs 0.8) = 0.5, (0.8 > 0.3, 0.1) = 2 -> 5.5 / 6
    assert roc_auc(scores, labels) == pytest.approx(5.5 / 6)
    assert roc_auc(np.arange(4.0), np.array([False, False, True, True])) == 1.0
    assert precision_at(scores, labels, 2) == 0.5


def test_evaluate_ties_on_the_eu_core_log(cli: Callable[..., Result], datasets: Path) -> None:
    log = datasets / "eu-core-temporal" / "email-Eu-core-temporal.txt.gz"
    result = cli("evaluate", "ties", "--events", str(log), "--source", "1", "--target", "2", "--time", "3", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["events"] == 332_334  # SOURCE.md
    assert figures["positives"] < figures["pairs"]
    assert all(0.5 < auc < 1.0 for auc in figures["auc"].values())
    auc = figures["auc"]
    assert auc["strength"] > max(auc["count"], auc["recency"])  # the defaults beat both baselines (docs/scoring.md)


def test_evaluate_ties_on_enron_through_its_import_mapping(cli: Callable[..., Result], datasets: Path) -> None:
    result = cli(
        "evaluate",
        "ties",
        "--events",
        str(datasets / "enron-iptm"),
        "--mapping",
        str(ROOT / "docs" / "examples" / "enron-iptm.toml"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["events"] == 38_388  # every recipient row of SOURCE.md is an event
    assert set(figures["auc"]) == {"strength", "count", "recency"}
    auc = figures["auc"]
    assert auc["strength"] > max(auc["count"], auc["recency"])  # the defaults beat both baselines (docs/scoring.md)


def test_a_missing_column_is_named(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("from,to,at\na,b,1\nb,a,2\n")
    result = cli(
        "evaluate",
        "ties",
        "--events",
        str(tmp_path / "log.csv"),
        "--source",
        "from",
        "--target",
        "dst",
        "--time",
        "at",
    )
    assert result.exit_code == 2
    assert "no column 'dst'" in result.output
