"""`referly report` on the tiny demo company: every figure labelled in every format, a page that fetches nothing."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from referly.reports.models import Review

pytestmark = pytest.mark.django_db
MONTH = "2026-10"
Cli = Callable[..., Result]


@pytest.fixture
def demo(cli: Cli) -> Cli:
    result = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01")
    assert result.exit_code == 0, result.output
    return cli


def _report(cli: Cli, tmp_path: Path, fmt: str, *extra: str) -> tuple[str, Result]:
    out = tmp_path / f"review.{fmt}"
    result = cli("report", "--month", MONTH, "--format", fmt, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), result


def _figures(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in the JSON that holds a figure's value."""
    if isinstance(node, dict):
        if "value" in node and "label" in node:
            yield node
        for child in node.values():
            yield from _figures(child)
    elif isinstance(node, list):
        for child in node:
            yield from _figures(child)


def _metric_figures(pack: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for m in pack["metrics"].values() for row in m["rows"] for cell in row["cells"].values()]


def test_json_gives_every_figure_its_evidence_label(demo: Cli, tmp_path: Path) -> None:
    text, _ = _report(demo, tmp_path, "json")
    pack = json.loads(text)
    assert pack["review"]["frozen"] is False and "Computed live" in pack["review"]["origin"]
    metric_figures = _metric_figures(pack)
    assert len(metric_figures) > 100
    for figure in metric_figures:
        assert figure["label"] == "measured"
        assert figure["period"]["start"] <= figure["period"]["end"]
        assert figure["as_of"] == "2026-11-01T00:00:00+00:00"
        assert isinstance(figure["n"], int)
        if figure["value"] is None:
            assert figure["status"] in ("insufficient data", "not reached")
    assert any(f.get("status") == "insufficient data" for f in metric_figures), "the tiny demo is too small for some"
    labelled = list(_figures(pack))
    assert {f["label"] for f in labelled} == {"measured", "scenario"}
    for figure in labelled:
        if figure["label"] == "scenario":
            assert figure["assumptions"], figure
    scenarios = pack["scenarios"]
    assert scenarios["label"] == "scenario"
    assert scenarios["figures"]["asks"]["label"] == "scenario"
    assert any("measured" in a["text"] for a in scenarios["assumptions"])


def test_markdown_labels_every_figure_and_keeps_the_scenarios_apart(demo: Cli, tmp_path: Path) -> None:
    text, result = _report(demo, tmp_path, "md")
    assert "Computed live" in result.output and "No monthly review has been frozen yet" in result.output
    measured_part, scenario_part = text.split("\n## Scenarios\n")
    for title in (
        "Volume and quality",
        "Funnel",
        "Deals won",
        "Success stories",
        "Top referrers",
        "Friction points",
        "Stale items",
        "Goal trajectory",
    ):
        assert f"## {title}" in measured_part or f"### {title}" in measured_part, title
    label = re.compile(r"\((measured|scenario)\b|^insufficient data \(measured")
    rows = 0
    for block in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.M):
        lines = block.splitlines()
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        for line in lines[2:]:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            figures = cells[1 : len(cells) - (1 if header[-1] == "Note" else 0)]
            for figure in figures:
                assert label.search(figure), (line, figure)
            rows += 1
    assert rows > 60
    assert "(scenario)" not in measured_part.split("## Goal trajectory")[0]
    assert "Everything in this section is a scenario" in scenario_part
    assert "Assumptions" in scenario_part and "planning default" in scenario_part
    assert re.search(r"Referral asks needed a month \| [\d.,]+ \(scenario\)", scenario_part)


def test_html_is_one_self_contained_page_with_a_label_on_every_figure(demo: Cli, tmp_path: Path) -> None:
    html, _ = _report(demo, tmp_path, "html")
    pack = json.loads(_report(demo, tmp_path, "json")[0])
    for forbidden in ("http://", "https://", "//", "src=", "href=", "@import", "url("):
        assert forbidden not in html, forbidden
    assert html.count("<svg") == 5 and "<script" not in html
    spans = re.findall(r'<span class="fig (\w+)" data-label="\w+"><b>(.*?)</b> <small>(.*?)</small></span>', html)
    assert len(spans) == len(_metric_figures(pack)) + len(pack["scenarios"]["figures"])
    for kind, value, label in spans:
        assert kind in ("measured", "insufficient", "scenario")
        assert label.startswith(kind if kind != "insufficient" else "measured"), (value, label)
        assert (value == "insufficient data") == (kind == "insufficient")
    assert 'class="scenarios"' in html and "Everything in this section is a scenario" in html
    assert html.index('id="scenarios"') > html.index('id="goal"')
    assert "insufficient data (n = 3)" in html  # the cycle-time chart says so instead of drawing a zero


def _has_chromium() -> bool:
    from referly.errors import Unavailable
    from referly.reports.page import chromium

    try:
        chromium()
    except Unavailable:
        return False
    return True


@pytest.mark.skipif(
    not _has_chromium() and os.environ.get("CI") != "true",
    reason="PDF needs the Debian package chromium, which is not installed here (CI installs it)",
)
def test_pdf_is_the_same_page_printed(demo: Cli, tmp_path: Path) -> None:
    out = tmp_path / "review.pdf"
    result = demo("report", "--month", MONTH, "--format", "pdf", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert out.stat().st_size > 20_000


def test_pdf_without_chromium_is_a_clear_sentence(demo: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_CHROMIUM", str(tmp_path / "no-such-chromium"))
    result = demo("report", "--month", MONTH, "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    assert result.exit_code == 6
    assert "REFERLY_CHROMIUM names" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.pdf").exists()


def test_a_frozen_review_is_what_the_report_shows(demo: Cli, tmp_path: Path) -> None:
    frozen = demo("review", "--month", MONTH, "--decision", "Ask every promoter after the QBR")
    assert frozen.exit_code == 0, frozen.output
    review = Review.objects.get(month=date(2026, 10, 1))
    # Records changed after the freeze do not change the pack: it reads the frozen figures.
    review.figures["metrics"]["asks_per_month"]["label"] = "Asks per month (as frozen)"
    review.save()
    text, result = _report(demo, tmp_path, "md")
    assert "From the review of 2026-10 frozen on" in text and "From the review of 2026-10" in result.output
    assert "### Asks per month (as frozen)" in text
    assert "## Decisions\n\n- Ask every promoter after the QBR" in text


def test_the_report_flags_a_review_older_than_30_days(demo: Cli, tmp_path: Path) -> None:
    Review.objects.create(month=date(2020, 1, 1), created_at=datetime(2020, 2, 3, tzinfo=UTC), figures={})
    text, result = _report(demo, tmp_path, "md")
    assert "The last review (2020-01, frozen 2020-02-03) is" in result.output
    assert "the monthly review is due" in result.output and "the monthly review is due" in text
    assert "Computed live" in text  # a review of another month is not this month's pack
