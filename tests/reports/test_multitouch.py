"""Multi-touch attribution of won deals: journeys built from the records, and the metric in the pack."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from referly.crm.models import Account, Interaction, InteractionKind, Opportunity
from referly.referrals.models import Referral
from referly.reports.journeys import build_journeys
from referly.reports.multitouch import multi_touch
from referly.reports.queries import load_records
from tests.factories import make_account, make_contact
from tests.reports.builders import SCOPE, Book, at, cell, run

pytestmark = pytest.mark.django_db

EMAIL = "e-mail sent"
MEETING = "meeting"
CALL = "call"
INTRODUCED = ["identified", "requested", "introduced"]


@pytest.fixture
def book(db: object) -> Book:
    return Book()


def touch(book: Book, account: Account, kind: InteractionKind, when: datetime) -> Interaction:
    return Interaction.objects.create(teammate=book.alice, contact=make_contact(account), kind=kind, occurred_at=when)


def won(book: Book, created: str, closed: str, *, stage: str = "won", amount: int = 10_000) -> Opportunity:
    return book.deal("outbound", created, stage=stage, closed=closed, amount=amount)


def table(minimum: int = 1) -> dict[str, Any]:
    """The metric's JSON with the given minimum, so that a handful of journeys shows its figures."""
    from referly.reports.tables import Metric

    declared = Metric("multi_touch", "", "attribution", "share", minimum, "window", "", multi_touch)
    return declared.run(load_records(SCOPE))


def credits(found: dict[str, Any], model: str) -> dict[str, float]:
    return {row["key"]: row["cells"][model]["value"] for row in found["rows"]}


def two_won_deals(book: Book) -> tuple[Opportunity, Opportunity]:
    """Journeys e-mail → meeting (20 days apart) and meeting alone."""
    first = won(book, "2025-10-01", "2025-11-01")
    touch(book, first.account, InteractionKind.EMAIL_OUT, at("2025-09-20"))
    touch(book, first.account, InteractionKind.MEETING, at("2025-10-10"))
    second = won(book, "2025-11-01", "2025-12-01")
    touch(book, second.account, InteractionKind.MEETING, at("2025-11-15"))
    return first, second


def test_two_won_journeys_share_credit_as_each_model_says(book: Book) -> None:
    two_won_deals(book)
    found = table()
    assert credits(found, "first") == pytest.approx({EMAIL: 1.0, MEETING: 1.0})
    assert credits(found, "last") == pytest.approx({EMAIL: 0.0, MEETING: 2.0})
    assert credits(found, "linear") == pytest.approx({EMAIL: 0.5, MEETING: 1.5})
    assert credits(found, "position") == pytest.approx({EMAIL: 0.5, MEETING: 1.5})
    decay = 2 ** (-20 / 7) / (1 + 2 ** (-20 / 7))  # the e-mail came 20 days before the meeting, half-life 7 days
    assert credits(found, "time_decay") == pytest.approx({EMAIL: decay, MEETING: 2 - decay})
    # Markov: without the e-mail half the journeys still convert (RE 0.5); without the meeting none do (RE 1).
    assert credits(found, "markov") == pytest.approx({EMAIL: 2 / 3, MEETING: 4 / 3})
    assert cell(found, MEETING, "linear_share")["value"] == pytest.approx(0.75)
    share = cell(found, EMAIL, "first_share")
    assert share["label"] == "measured" and share["value"] == pytest.approx(0.5) and share["unit"] == "share"
    assert share["n"] == 2
    assert share["period"] == {"start": "2025-04-01", "end": "2026-03-31"}
    assert share["as_of"] == "2026-04-01T00:00:00+00:00"
    for said in ("won journeys only", "half-life 7 days", "40%/20%/40%"):
        assert said in found["note"], said
    assert found["extra"]["won"] == 2 and found["extra"]["lost"] == 0


def test_a_lost_deal_earns_no_heuristic_credit_and_does_not_count_in_n(book: Book) -> None:
    two_won_deals(book)
    lost = won(book, "2025-10-01", "2025-11-20", stage="lost")
    touch(book, lost.account, InteractionKind.CALL, at("2025-10-05"))
    touch(book, lost.account, InteractionKind.MEETING, at("2025-10-06"))
    found = table()
    for model in ("first", "last", "linear", "time_decay", "position"):
        assert credits(found, model)[CALL] == 0.0, model
        assert sum(credits(found, model).values()) == pytest.approx(2.0), model
    # Markov learns from the lost journey that calls lead to meetings: removing the call loses a third of P, as
    # removing the e-mail does, against all of it for the meeting (removal effects 1/3, 1/3, 1 over 2 wins).
    assert credits(found, "markov") == pytest.approx({CALL: 0.4, EMAIL: 0.4, MEETING: 1.2})
    assert cell(found, CALL, "linear")["n"] == 2
    assert found["extra"]["lost"] == 1


def test_touches_after_the_close_before_the_lookback_or_at_other_accounts_are_ignored(book: Book) -> None:
    deal = won(book, "2025-10-01", "2025-11-01")
    touch(book, deal.account, InteractionKind.EMAIL_OUT, at("2025-09-20"))
    touch(book, deal.account, InteractionKind.CALL, at("2025-11-01", 23))  # the day it closed still counts
    touch(book, deal.account, InteractionKind.MEETING, at("2025-11-02"))  # after the close
    touch(book, deal.account, InteractionKind.NOTE, at("2025-04-03"))  # 181 days before it was created
    touch(book, make_account(), InteractionKind.MEETING, at("2025-10-10"))  # another account
    touch(book, deal.account, InteractionKind.EMAIL_IN, at("2026-04-01", 0))  # after the as-of moment
    (found,) = build_journeys(load_records(SCOPE)).found
    assert found.journey.channels == (EMAIL, CALL)
    assert found.journey.converted and found.journey.value == 10_000


def test_a_referral_introduction_before_the_close_is_a_touch_and_one_meeting_with_two_contacts_is_one(
    book: Book,
) -> None:
    deal = won(book, "2025-10-01", "2025-11-01")
    meeting = at("2025-10-10")
    touch(book, deal.account, InteractionKind.MEETING, meeting)
    Interaction.objects.create(
        teammate=book.bob, contact=make_contact(deal.account), kind=InteractionKind.MEETING, occurred_at=meeting
    )
    before = book.referral([(s, at("2025-09-01")) for s in INTRODUCED[:2]] + [("introduced", at("2025-09-25"))])
    after = book.referral([(s, at("2025-10-20")) for s in INTRODUCED[:2]] + [("introduced", at("2025-11-05"))])
    Referral.objects.filter(pk__in=[before.pk, after.pk]).update(target_account=deal.account)
    (found,) = build_journeys(load_records(SCOPE)).found
    assert found.journey.channels == ("referral introduction", MEETING)


def test_deals_outside_the_window_in_another_currency_or_without_touches(book: Book) -> None:
    early = won(book, "2025-01-01", "2025-03-20")  # closed before the window
    touch(book, early.account, InteractionKind.CALL, at("2025-02-01"))
    euros = book.deal("outbound", "2025-10-01", stage="won", closed="2025-11-01", currency="GBP")
    touch(book, euros.account, InteractionKind.CALL, at("2025-10-02"))
    won(book, "2025-10-01", "2025-11-01")  # no touch recorded
    for _ in range(2):  # EUR is the base currency; GBP has no rate
        book.deal("outbound", "2025-12-01")
    found = build_journeys(load_records(SCOPE))
    assert [j.deal.id for j in found.found] == [euros.id]
    assert found.found[0].journey.value == 0.0  # counts as a win, but not by value
    assert found.without_touches == 1


@pytest.mark.parametrize(("deals", "shown"), [(9, False), (10, True)])
def test_below_the_minimum_every_figure_is_insufficient_data(book: Book, deals: int, shown: bool) -> None:
    for i in range(deals):
        deal = won(book, "2025-10-01", f"2025-11-{i + 1:02d}")
        touch(book, deal.account, InteractionKind.MEETING, at("2025-10-10"))
    found = run("multi_touch")
    assert found["minimum"] == 10
    for model in ("first", "first_share", "markov", "markov_share"):
        figure = cell(found, MEETING, model)
        assert figure["label"] == "measured" and figure["n"] == deals
        if shown:
            assert figure["value"] == pytest.approx(1.0 if model.endswith("share") else 10.0)
        else:
            assert figure["value"] is None and figure["status"] == "insufficient data"


def test_no_closed_deal_is_an_empty_table(book: Book) -> None:
    found = run("multi_touch")
    assert found["rows"] == [] and found["note"] == "" and found["extra"]["journeys"] == 0


Cli = Callable[..., Result]


def test_the_pack_shows_the_metric_with_its_evidence_label(cli: Cli, tmp_path: Path) -> None:
    made = cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01")
    assert made.exit_code == 0, made.output
    out = tmp_path / "review.json"
    result = cli("report", "--month", "2026-10", "--format", "json", "--out", str(out))
    assert result.exit_code == 0, result.output
    found = json.loads(out.read_text(encoding="utf-8"))["metrics"]["multi_touch"]
    assert found["label"] == "Multi-touch attribution of won deals" and found["section"] == "attribution"
    assert found["period"] == {"start": "2025-11-01", "end": "2026-10-31"}
    assert found["rows"], "the demo records touches before its deals close"
    for row in found["rows"]:
        for figure in row["cells"].values():
            assert figure["label"] == "measured"
            assert figure["n"] == found["extra"]["won"]
            assert figure["as_of"] == "2026-11-01T00:00:00+00:00"
            assert figure["value"] is not None or figure["status"] == "insufficient data"
    assert "won journeys only" in found["note"]
    md = tmp_path / "review.md"
    result = cli("report", "--month", "2026-10", "--format", "md", "--out", str(md))
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    part = text.split("### Multi-touch attribution of won deals")[1].split("\n## ")[0]
    assert "| First touch: share |" in part and "(n = " in part and "(measured" not in part
    assert "Credit is shared over the" in part
