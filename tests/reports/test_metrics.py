"""The registered metrics on small hand-built records whose answers are known."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from referly.reports.metrics import REGISTRY, metric
from referly.reports.queries import load_records
from referly.reports.scope import Scope
from tests.reports.builders import SCOPE, Book, at, cell, ladder, run

pytestmark = pytest.mark.django_db

INTRODUCED = ["identified", "requested", "introduced"]


@pytest.fixture
def book(db: object) -> Book:
    return Book()


def test_three_of_ten_introductions_reaching_a_meeting_is_30_percent_with_its_wilson_interval(book: Book) -> None:
    for i in range(10):
        stages = [*INTRODUCED, "meeting"] if i < 3 else INTRODUCED
        book.referral(ladder(at("2025-10-01") + timedelta(days=i), stages))
    rate = cell(run("stage_conversion"), "introduced → meeting", "rate")
    assert rate["label"] == "measured"
    assert rate["value"] == pytest.approx(0.30)
    assert rate["n"] == 10
    assert rate["interval"]["method"] == "wilson"
    assert (rate["interval"]["low"], rate["interval"]["high"]) == pytest.approx((0.1078, 0.6032), abs=5e-5)
    assert rate["period"] == {"start": "2025-04-01", "end": "2026-03-31"}
    assert rate["as_of"] == "2026-04-01T00:00:00+00:00"
    # The seven still sitting at introduced are counted as still there, not as lost.
    assert cell(run("stage_conversion"), "introduced → meeting", "still_here")["value"] == 7


def test_below_the_minimum_a_rate_is_insufficient_data_and_shows_no_number(book: Book) -> None:
    for i in range(9):
        book.referral(ladder(at("2025-10-01") + timedelta(days=i), [*INTRODUCED, "meeting"]))
    rate = cell(run("stage_conversion"), "introduced → meeting", "rate")
    assert rate == {
        "label": "measured",
        "value": None,
        "status": "insufficient data",
        "unit": "",
        "n": 9,
        "minimum": 10,
        "period": {"start": "2025-04-01", "end": "2026-03-31"},
        "as_of": "2026-04-01T00:00:00+00:00",
    }
    # The exact counts are still shown: 9 entered, 9 moved on.
    assert cell(run("stage_conversion"), "introduced → meeting", "entered")["value"] == 9


def test_a_skipped_meeting_still_counts_as_moving_on_and_exits_count_where_they_happened(book: Book) -> None:
    book.referral(ladder(at("2025-10-01"), [*INTRODUCED, "opportunity"]))  # an influenced deal skips the meeting
    book.referral(ladder(at("2025-10-02"), ["identified", "requested", "declined"]))
    book.referral(ladder(at("2025-10-03"), ["identified", "requested", "no_response"]))
    book.referral(ladder(at("2025-10-04"), [*INTRODUCED, "meeting", "opportunity", "lost"]))
    table = run("stage_conversion")
    assert cell(table, "introduced → meeting", "moved_on")["value"] == 2
    assert cell(table, "requested → introduced", "ended")["value"] == 2
    assert cell(table, "opportunity → won", "ended")["value"] == 1
    friction = run("friction")
    assert friction["rows"][0]["key"] == "requested → introduced"
    assert friction["rows"][0]["note"] == "declined 1, no response 1"
    assert friction["note"].startswith("Loses most: requested → introduced, 2 of 4 ended there")


def test_nothing_recorded_after_the_month_is_read(book: Book) -> None:
    late = [("identified", at("2026-03-20")), ("requested", at("2026-03-25")), ("introduced", at("2026-04-01", 0))]
    book.referral(late)
    monthly = {row["key"]: row["cells"] for row in run("referrals_per_month")["rows"]}
    assert monthly["2026-03"]["requested"]["value"] == 1
    assert monthly["2026-03"]["introduced"]["value"] == 0  # introduced at the first instant of April
    april = {row["key"]: row["cells"] for row in run("referrals_per_month", Scope(date(2026, 4, 1), UTC))["rows"]}
    assert april["2026-04"]["introduced"]["value"] == 1


def test_asks_are_counted_in_the_month_they_were_made(book: Book) -> None:
    book.ask(at("2026-03-01", 0))
    book.ask(at("2026-03-31", 23))
    book.ask(at("2026-03-15"), kind="case_study")
    book.ask(at("2026-02-28", 23))
    rows = {row["key"]: row["cells"] for row in run("asks_per_month")["rows"]}
    assert len(rows) == 12 and list(rows)[-1] == "2026-03"
    assert (rows["2026-03"]["referral"]["value"], rows["2026-03"]["all"]["value"]) == (2, 3)
    assert rows["2026-02"]["referral"]["value"] == 1
    assert rows["2026-03"]["referral"]["period"] == {"start": "2026-03-01", "end": "2026-03-31"}


def test_win_rate_by_source_counts_decided_deals_only(book: Book) -> None:
    for i in range(10):
        book.deal("referral", "2025-06-01", stage="won" if i < 6 else "lost", closed="2025-09-01")
    for i in range(10):
        book.deal("outbound", "2025-06-01", stage="won" if i < 2 else "lost", closed="2025-09-01")
    book.deal("referral", "2025-06-01")  # open: not decided
    book.deal("referral", "2024-01-01", stage="won", closed="2024-06-01")  # closed before the window
    table = run("win_rate_by_source")
    referral = cell(table, "referral", "rate")
    assert (referral["value"], referral["n"]) == (pytest.approx(0.6), 10)
    assert cell(table, "all other sources", "rate")["value"] == pytest.approx(0.2)
    assert cell(table, "outbound", "won")["value"] == 2


def test_a_deal_closed_after_the_month_was_still_open_at_its_end(book: Book) -> None:
    book.deal("referral", "2026-02-01", stage="won", closed="2026-04-10")
    table = run("win_rate_by_source")
    assert cell(table, "referral", "won")["value"] == 0
    assert cell(run("cycle_time"), "Referral deals: created → won", "open")["value"] == 1


def test_cycle_time_is_the_kaplan_meier_median_with_open_deals_censored(book: Book) -> None:
    created = date(2025, 6, 1)
    for days in (10, 20, 30, 40, 50, 60):
        book.deal("referral", "2025-06-01", stage="won", closed=(created + timedelta(days=days)).isoformat())
    for _ in range(4):
        book.deal("referral", "2025-06-01")  # still open at the end of March: censored at 304 days
    book.deal("referral", "2025-06-01", stage="lost", closed="2025-06-05")  # lost: left out
    median = cell(run("cycle_time"), "Referral deals: created → won", "median")
    assert median["label"] == "measured"
    assert (median["value"], median["n"], median["events"]) == (50.0, 10, 6)
    assert median["interval"]["method"].startswith("Kaplan-Meier")
    assert median["interval"]["low"] <= 50 <= (median["interval"]["high"] or 1e9)


def test_a_median_not_reached_is_said_so_not_hidden(book: Book) -> None:
    for days in (10, 20, 30):
        book.deal("outbound", "2025-06-01", stage="won", closed=(date(2025, 6, 1) + timedelta(days=days)).isoformat())
    for _ in range(8):
        book.deal("outbound", "2025-06-01")
    median = cell(run("cycle_time"), "Other sources: created → won", "median")
    assert median["value"] is None
    assert median["status"] == "not reached"
    assert median["n"] == 11


def test_referral_share_of_new_pipeline_weighs_amounts(book: Book) -> None:
    for _ in range(4):
        book.deal("referral", "2025-12-01", amount=20_000)
    for _ in range(6):
        book.deal("inbound", "2025-12-01", amount=20_000)
    book.deal("inbound", "2026-03-02", amount=None)  # no amount: not in the share
    book.deal("inbound", "2026-03-02", amount=999_999, currency="GBP")  # no GBP rate: left out of amounts
    share = cell(run("referral_share"), "Trailing window", "share")
    assert (share["value"], share["n"]) == (pytest.approx(0.4), 10)
    assert share["interval"]["method"] == "bootstrap percentile"
    assert 0.0 <= share["interval"]["low"] <= 0.4 <= share["interval"]["high"] <= 1.0
    assert cell(run("referral_share"), "Reviewed month", "share")["status"] == "insufficient data"


def test_referrers_nps_counts_each_persons_latest_answer(book: Book) -> None:
    referrers = [book.referrer] + [book.referrer.account.contacts.create(first_name=f"R{i}") for i in range(9)]
    for person in referrers:
        book.referral(ladder(at("2025-09-01"), ["identified"]), referrer=person)
    scores = [10, 10, 9, 9, 9, 8, 7, 7, 3, 6]  # 5 promoters, 3 passives, 2 detractors: NPS +30
    for person, score in zip(referrers, scores, strict=True):
        book.nps(person, 0, on="2025-05-01")  # an older answer, replaced by the latest
        book.nps(person, score)
    table = run("referrer_nps")
    nps = cell(table, "Referrers", "nps")
    assert (nps["value"], nps["n"], nps["unit"]) == (pytest.approx(30.0), 10, "nps")
    assert cell(table, "Referrers", "promoters")["value"] == 5
    assert cell(table, "Other contacts who answered", "nps")["status"] == "insufficient data"


def test_stale_items_are_referrals_under_way_without_a_move_for_21_days(book: Book) -> None:
    stuck = book.referral([("identified", at("2026-02-01")), ("requested", at("2026-03-10", 23))])  # 21 days idle
    book.referral([("identified", at("2026-02-01")), ("requested", at("2026-03-11", 1))])  # 20 days
    book.referral([("identified", at("2026-01-01")), ("declined", at("2026-01-05"))])  # closed: never stale
    table = run("stale_referrals")
    assert cell(table, "requested", "under_way")["value"] == 2
    assert cell(table, "requested", "stale")["value"] == 1
    assert [i["referral"] for i in table["extra"]["items"]] == [stuck.pk]
    assert table["extra"]["items"][0]["days"] == 21


def test_leaderboards_and_scripts_count_each_owner_client_and_script(book: Book) -> None:
    won = book.deal("referral", "2026-01-01", stage="won", closed="2026-02-01", amount=30_000, referrer=book.referrer)
    book.referral(ladder(at("2025-12-01"), [*INTRODUCED, "meeting", "opportunity", "won"]), opportunity=won)
    book.referral(ladder(at("2025-12-02"), INTRODUCED), owner=book.bob, script="linkedin/renewal/en")
    book.referral(ladder(at("2025-12-03"), ["identified", "requested"]), owner=book.bob, script="linkedin/renewal/en")
    owners = run("leaderboard_owners")
    assert [row["key"] for row in owners["rows"]] == ["Alice Martin", "Bob Stone"]
    assert cell(owners, "Alice Martin", "amount")["value"] == 30_000
    assert cell(owners, "Bob Stone", "requested")["value"] == 2
    clients = run("leaderboard_clients")
    assert cell(clients, "Client Co", "identified")["value"] == 3
    scripts = run("script_outcomes")
    assert cell(scripts, "linkedin/renewal/en", "referrals")["value"] == 2
    assert cell(scripts, "linkedin/renewal/en", "introduced_rate")["status"] == "insufficient data"
    revenue = run("revenue_by_referrer")
    assert cell(revenue, "Rita Ref (Client Co)", "won")["value"] == 30_000


def test_attribution_totals_split_sourced_influenced_and_suspected(book: Book) -> None:
    sourced = book.deal("referral", "2026-01-01", stage="won", closed="2026-02-01", amount=30_000)
    influenced = book.deal("outbound", "2025-11-01", amount=12_000)
    book.referral(
        ladder(at("2025-12-01"), [*INTRODUCED, "opportunity", "won"]), attribution="sourced", opportunity=sourced
    )
    book.referral(
        ladder(at("2025-12-05"), [*INTRODUCED, "opportunity"]), attribution="influenced", opportunity=influenced
    )
    table = run("attribution")
    assert cell(table, "sourced", "won")["value"] == 30_000
    assert cell(table, "influenced", "pipeline")["value"] == 12_000
    assert cell(table, "suspected", "referrals")["value"] == 0


def test_every_metric_labels_every_figure_even_on_an_empty_database(db: object) -> None:
    records = load_records(SCOPE)
    assert [m.slug for m in REGISTRY] == list(dict.fromkeys(m.slug for m in REGISTRY))
    for declared in REGISTRY:
        table = declared.run(records)
        assert table["minimum"] == declared.minimum and table["unit"] == declared.unit
        for row in table["rows"]:
            for figure in row["cells"].values():
                assert figure["label"] == "measured"
                assert "n" in figure and "period" in figure and figure["as_of"] == "2026-04-01T00:00:00+00:00"
                assert figure["value"] is not None or figure["status"] in ("insufficient data", "not reached")


def test_an_unknown_metric_is_a_clear_error() -> None:
    from referly.errors import NotFound

    with pytest.raises(NotFound, match="No metric 'revenue'"):
        metric("revenue")
