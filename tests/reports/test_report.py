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


def test_markdown_opens_with_the_summary_and_marks_only_what_is_not_measured(demo: Cli, tmp_path: Path) -> None:
    text, result = _report(demo, tmp_path, "md")
    assert "Computed live" in result.output and "No monthly review has been frozen yet" in result.output
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[0] == "Executive summary" and headings[1] == "About these figures"
    summary = text.split("## Executive summary")[1].split("\n## ")[0]
    assert "| Pipeline sourced by referrals |" in summary and "| Referrals won |" in summary
    assert "### Referrals to celebrate" in summary and "### Actions that matter" in summary
    assert "No scoring run yet" in summary  # the demo is not scored here
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
    assert "How to read the figures: a plain figure is measured" in measured_part
    assert "(measured" not in measured_part, "measured is the plain style"
    marked = 0
    rows = 0
    for block in re.findall(r"(?:^\|.*\|\n)+", measured_part.split("## About these figures")[1], flags=re.M):
        lines = block.splitlines()
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        for line in lines[2:]:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            for figure in cells[1 : len(cells) - (1 if header[-1] == "Note" else 0)]:
                if figure.startswith("insufficient data"):
                    assert re.fullmatch(r"insufficient data \(n = \d+, needs \d+\)", figure), figure
                    marked += 1
            rows += 1
    assert rows > 60 and marked > 0
    assert "(scenario)" not in measured_part.split("## Goal trajectory")[0]
    assert "Everything in this section is a scenario" in scenario_part
    assert "Assumptions" in scenario_part and "planning default" in scenario_part
    assert re.search(r"Referral asks needed a month \| [\d.,]+ \(scenario\)", scenario_part)
    assert not re.search(r"\d{4,}\.\d", text.split("## Scenarios")[0].replace("2026", "")), "a raw number"


def test_markdown_in_french_groups_thousands_with_a_space(demo: Cli, tmp_path: Path) -> None:
    text, _ = _report(demo, tmp_path, "md", "--lang", "fr")
    summary = text.split("## Executive summary")[1].split("\n## ")[0]
    assert re.search(r"\d{1,3}(?:\u00a0\d{3})+\u00a0EUR", text), "French amounts: 1 234 567 EUR"
    assert not re.search(r"\d,\d{3}\b", summary)


FIGURE = re.compile(r'<span class="fig (\w+)" data-label="\w+"><b>(.*?)</b>(?: <small>(.*?)</small>)?</span>')


def test_html_opens_with_the_summary_and_marks_only_what_is_not_measured(demo: Cli, tmp_path: Path) -> None:
    html, _ = _report(demo, tmp_path, "html")
    pack = json.loads(_report(demo, tmp_path, "json")[0])
    for forbidden in ("http://", "https://", "//", "src=", "href=", "@import", "url("):
        assert forbidden not in html, forbidden
    assert html.count("<svg") == 5 and "<script" not in html
    sections = re.findall(r'<section[^>]* id="(\w+)"', html)
    assert sections[:2] == ["summary", "about"], sections
    assert 'id="summary-figures"' in html and "Referrals to celebrate" in html and "Actions that matter" in html
    spans = FIGURE.findall(html)
    assert len(spans) == len(_metric_figures(pack)) + len(pack["scenarios"]["figures"])
    for kind, value, label in spans:
        assert kind in ("measured", "insufficient", "scenario")
        assert "measured" not in label
        assert (value == "insufficient data") == (kind == "insufficient")
        if kind == "scenario":
            assert label == "scenario"
        if kind == "insufficient":
            assert label.startswith("n = ")
    assert 'class="scenarios"' in html and "Everything in this section is a scenario" in html
    assert html.index('id="scenarios"') > html.index('id="goal"')
    assert "insufficient data (n = 3)" in html  # the cycle-time chart says so instead of drawing a zero
    funnel = html.split('<section id="funnel">')[1].split("</section>")[0]
    assert '<div class="beside">' in funnel and funnel.index("<table>") < funnel.index("<svg")  # chart beside it


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
