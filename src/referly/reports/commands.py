"""`referly review`, `referly report` and `referly plan`."""

from __future__ import annotations

from pathlib import Path

import click

from referly.terminal import console, database_option, err_console, write_or_echo

FORMATS = ["md", "json", "html", "pdf"]


def _open() -> None:
    from referly.database import open_database

    open_database()


@click.command()
@click.option("--month", metavar="YYYY-MM", help="The month to review. Default: the last month that is over.")
@click.option("--decision", "decisions", multiple=True, metavar="TEXT", help="A decision taken (repeat for several).")
@click.option("--replace", is_flag=True, help="Freeze the month again, replacing its review and decisions.")
@database_option
def review(month: str | None, decisions: tuple[str, ...], replace: bool) -> None:
    """Freeze a month's figures, chart data and decisions as its monthly referral review."""
    _open()
    from django.db import transaction
    from django.utils import timezone

    from referly.reports.review import freeze, latest_review, month_scope, staleness
    from referly.reports.scope import configured_goal

    now = timezone.now()
    scope = month_scope(month, now)
    goal = configured_goal()
    before = staleness(latest_review(), now)
    cleaned = [d.strip() for d in decisions if d.strip()]
    with transaction.atomic():
        frozen = freeze(scope, goal, cleaned, now=now, replace=replace)
    metrics = frozen.figures["metrics"]
    insufficient = sum(
        1
        for m in metrics.values()
        for row in m["rows"]
        for cell in row["cells"].values()
        if cell.get("status") == "insufficient data"
    )
    if before.due:
        console.print(f"[yellow]Before this review:[/] {before.text}", highlight=False)
    console.print(
        f"Review of {scope.label()} frozen: {len(metrics)} metrics as of {scope.as_of:%Y-%m-%d %H:%M} "
        f"{scope.zone} ({insufficient} figures with insufficient data), {len(cleaned)} decision(s).",
        highlight=False,
    )
    console.print(staleness(latest_review(), now).text, highlight=False)
    console.print(f"Next: referly report --month {scope.label()} --format html --out review-{scope.label()}.html")


@click.command()
@click.option("--month", metavar="YYYY-MM", help="The month. Default: the last month that is over.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write. Default: the screen for md and json, review-YYYY-MM.html or .pdf here for the others.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    default="en",
    show_default=True,
    help="How numbers are written: en 1,234,567 or fr 1 234 567.",
)
@database_option
def report(month: str | None, fmt: str, out: Path | None, lang: str) -> None:
    """Write a month's review pack: from its frozen review if there is one, else computed now (and said so)."""
    _open()
    from django.utils import timezone

    from referly.reports.briefing import fx_sentences
    from referly.reports.pack import as_json, as_markdown
    from referly.reports.review import month_scope, pack_context

    now = timezone.now()
    scope = month_scope(month, now)
    context = pack_context(scope, now, lang)
    if out is None and fmt in ("html", "pdf"):
        out = Path(f"review-{scope.label()}.{fmt}")
    if fmt == "md":
        write_or_echo(as_markdown(context), out)
    elif fmt == "json":
        write_or_echo(as_json(context), out)
    else:
        from referly.reports.page import as_html, write_pdf

        assert out is not None
        if fmt == "html":
            write_or_echo(as_html(context), out)
        else:
            write_pdf(as_html(context), out)
    say = console if out is not None else err_console
    if out is not None:
        say.print(f"Wrote {out} ({fmt}).", highlight=False)
    say.print(context.origin(), highlight=False)
    say.print(f"[yellow]{context.staleness}[/]" if context.review_due else context.staleness, highlight=False)
    for line in fx_sentences(context.content):
        say.print(line, highlight=False, markup=False)


@click.command()
@click.option(
    "--month", metavar="YYYY-MM", help="Measure the rates over the 12 months to this one. Default: last month."
)
@click.option(
    "--goal-share",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Default: REFERLY_REFERRAL_GOAL_SHARE.",
)
@click.option("--deal-size", type=click.FloatRange(0, min_open=True), help="Average referral opportunity amount.")
@click.option(
    "--other-pipeline", type=click.FloatRange(0, min_open=True), help="New pipeline a month from other sources."
)
@click.option(
    "--ask-to-intro", type=click.FloatRange(0, 1, min_open=True), help="Share of asks that lead to an introduction."
)
@click.option(
    "--intro-to-opportunity",
    type=click.FloatRange(0, 1, min_open=True),
    help="Share of introductions that become an opportunity.",
)
@click.option("--json", "as_json", is_flag=True)
@database_option
def plan(
    month: str | None,
    goal_share: float | None,
    deal_size: float | None,
    other_pipeline: float | None,
    ask_to_intro: float | None,
    intro_to_opportunity: float | None,
    as_json: bool,
) -> None:
    """Scenario: the asks a month it takes to reach the referral goal, from measured rates or your assumptions."""
    _open()
    import json

    from django.utils import timezone

    from referly.reports.evidence import MINIMUM_SAMPLE
    from referly.reports.queries import load_records
    from referly.reports.review import month_scope
    from referly.reports.scenarios import measured_inputs
    from referly.reports.scenarios import plan as make_plan
    from referly.reports.scope import configured_goal
    from referly.reports.wording import read

    now = timezone.now()
    scope = month_scope(month, now)
    records = load_records(scope)
    inputs = measured_inputs(
        records,
        goal_share if goal_share is not None else configured_goal().share,
        MINIMUM_SAMPLE,
        other_pipeline=other_pipeline,
        deal_size=deal_size,
        ask_to_intro=ask_to_intro,
        intro_to_opportunity=intro_to_opportunity,
    )
    found = make_plan(inputs).as_dict()
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    console.print("[bold]Scenario[/] (not a measurement: it holds only if the assumptions below do)", highlight=False)
    figures = found["figures"]
    assert isinstance(figures, dict)
    for figure in figures.values():
        console.print(f"  {figure['title']}: {read(figure, records.currency)}", highlight=False, markup=False)
    for missing in found["missing"]:  # type: ignore[attr-defined]
        console.print(f"  Cannot be computed: {missing}", highlight=False, markup=False)
    console.print("Assumptions:")
    for a in found["assumptions"]:  # type: ignore[attr-defined]
        console.print(f"  - {a['text']}", highlight=False, markup=False)
    console.print(f"  - {found['caveat']}", highlight=False, markup=False)
