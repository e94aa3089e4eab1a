"""Classifying what comes back (pure): replies, automatic replies with their return date, bounces, garbage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.outbox.answers import Sent, classify, first_line, normal_subject, read
from referly.outbox.away import return_date
from tests.outbox import samples
from tests.outbox.samples import OWNER

AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ASK = Sent(1, "<ask1@example.com>", "jane@acme.example", "An introduction", AT - timedelta(days=2), OWNER)


def kind_of(raw: bytes, sent: list[Sent] | None = None) -> tuple[str, str]:
    answer = classify(read(raw), [ASK] if sent is None else sent, OWNER, AT)
    return answer.kind, answer.reason


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("I am out of the office, back on 14 December.", date(2026, 12, 14)),
        ("I will be back on December 14th.", date(2026, 12, 14)),
        ("Returning 14/12, limited access to mail.", date(2026, 12, 14)),
        ("Je serai de retour le 14/12.", date(2026, 12, 14)),
        ("De retour le 14 décembre.", date(2026, 12, 14)),
        ("Je suis absent jusqu'au 13 décembre inclus.", date(2026, 12, 14)),
        ("Back on 5 January", date(2027, 1, 5)),  # the next such date after the message
        ("I am away until Monday, 14 December 2026.", date(2026, 12, 14)),
        ("Out of the office this week, reach Tom instead.", None),
        ("Back on 31 February", None),
    ],
)
def test_a_return_date_is_read_in_english_and_french(text: str, back: date | None) -> None:
    assert return_date(text, AT.date()) == back


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 300))
def test_a_return_date_is_the_written_day_on_or_after_the_message(sent_on: date, ahead: int) -> None:
    back = sent_on + timedelta(days=ahead)
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    for text in (f"back on {back.day} {months[back.month - 1]}", f"de retour le {back.day:02d}/{back.month:02d}"):
        found = return_date(text, sent_on)
        assert found is not None and sent_on <= found <= sent_on + timedelta(days=366)
        assert (found.month, found.day) == (back.month, back.day)


@given(st.text(max_size=300))
def test_any_text_gives_a_date_on_or_after_the_message_or_none(text: str) -> None:
    found = return_date(text, AT.date())
    assert found is None or AT.date() <= found <= AT.date() + timedelta(days=367)


@given(st.binary(max_size=2000))
def test_any_bytes_are_classified_without_an_exception(raw: bytes) -> None:
    assert classify(read(raw), [ASK], OWNER, AT).kind in {"reply", "auto_reply", "bounce", "unrelated"}


def test_a_reply_names_our_message_and_keeps_only_its_first_line() -> None:
    answer = classify(read(samples.reply("jane@acme.example", AT, "<ask1@example.com>")), [ASK], OWNER, AT)
    assert (answer.kind, answer.message) == ("reply", 1)
    assert answer.first_line == "Happy to introduce you, I will write to her today."


def test_without_threading_fields_a_reply_is_the_same_subject_from_the_recipient_within_30_days() -> None:
    raw = samples.reply("jane@acme.example", AT, "", subject="RE: An  Introduction", text="Sure!\r\n")
    assert kind_of(raw) == ("reply", "")
    assert kind_of(raw, [Sent(1, "<a@x>", "jane@acme.example", "An introduction", AT - timedelta(days=31), OWNER)])[
        0
    ] == ("unrelated")
    assert kind_of(samples.reply("jane@acme.example", AT, "", subject="Re: Lunch?"))[0] == "unrelated"


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "X-Autorespond: on",
        "Precedence: auto_reply",
        "Precedence: bulk",
    ],
)
def test_rfc_3834_headers_make_an_automatic_reply(extra: str) -> None:
    raw = samples.reply("jane@acme.example", AT, "<ask1@example.com>").replace(
        b"MIME-Version", f"{extra}\r\nMIME-Version".encode()
    )
    assert kind_of(raw)[0] == "auto_reply"


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: An introduction",
        "Automatic reply: An introduction",
        "Autoreply",
        "Absence",
        "Absent du bureau",
        "Réponse automatique : An introduction",
        "Message d'absence",
    ],
)
def test_out_of_office_subjects_in_english_and_french_make_an_automatic_reply(subject: str) -> None:
    from email.header import Header

    raw = samples.reply("jane@acme.example", AT, "<ask1@example.com>", subject=Header(subject, "utf-8").encode())
    assert kind_of(raw)[0] == "auto_reply"


def test_auto_submitted_no_is_a_person() -> None:
    raw = samples.reply("jane@acme.example", AT, "<ask1@example.com>").replace(
        b"MIME-Version", b"Auto-Submitted: no\r\nMIME-Version"
    )
    assert kind_of(raw)[0] == "reply"


def test_bounces_hard_soft_and_non_standard() -> None:
    ask = Sent(1, "<ask1@example.com>", "bob@acme.example", "An introduction", AT - timedelta(days=1), OWNER)
    hard = classify(read(samples.dsn("bob@acme.example", AT, "<ask1@example.com>", status="5.1.1")), [ask], OWNER, AT)
    assert (hard.kind, hard.hard, hard.status, hard.address) == ("bounce", True, "5.1.1", "bob@acme.example")
    soft = classify(read(samples.dsn("bob@acme.example", AT, "<ask1@example.com>", status="4.2.2")), [ask], OWNER, AT)
    assert (soft.kind, soft.hard, soft.status) == ("bounce", False, "4.2.2")
    qmail = classify(read(samples.qmail_bounce("bob@acme.example", AT, "<other@x>")), [ask], OWNER, AT)
    assert (qmail.kind, qmail.hard, qmail.message) == ("bounce", True, 1)  # found by the failed address
    delayed = read(samples.dsn("bob@acme.example", AT, "<ask1@example.com>", status="4.4.1", action="delayed"))
    assert classify(delayed, [ask], OWNER, AT).reason == "a delay warning: the server is still trying"


def test_garbage_is_unrelated_with_a_reason() -> None:
    assert kind_of(samples.garbage_dsn(AT)) == (
        "unrelated",
        "unreadable bounce: a delivery report with no failed recipient and status",
    )
    assert kind_of(samples.dsn("x@y.example", AT, "<never@x>", status="5.1.1")) == (
        "unrelated",
        "a bounce for a message we never sent",
    )
    assert kind_of(samples.reply("eve@else.example", AT, "<ask1@example.com>")) == (
        "unrelated",
        "a reply from an unknown address",
    )
    assert kind_of(b"\x00\xff garbage") == ("unrelated", "not about the outbox")


def test_subject_and_first_line_helpers() -> None:
    assert normal_subject("Re: RE:  Réf : An introduction") == "an introduction"
    assert first_line("\n> quoted\n\nThanks, yes.\n") == "Thanks, yes."
    assert first_line("On Mon, 7 Dec 2026, Alice wrote:\n> Hi") == ""
