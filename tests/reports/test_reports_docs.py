"""docs/reports.md keeps up with the metric registry and the commands."""

from __future__ import annotations

from referly.reports.metrics import REGISTRY
from tests.conftest import ROOT


def test_every_metric_is_explained_in_the_docs() -> None:
    documented = (ROOT / "docs" / "reports.md").read_text()
    missing = [m.slug for m in REGISTRY if f"| `{m.slug}` |" not in documented]
    assert missing == []


def test_the_docs_show_how_to_run_the_review_and_say_what_the_figures_do_not_prove() -> None:
    documented = (ROOT / "docs" / "reports.md").read_text()
    for phrase in ("referly review --month", "referly report --month", "referly plan", "do not prove"):
        assert phrase in documented, phrase
