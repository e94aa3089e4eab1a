"""The capture rules, one at a time: headers, our side and theirs, direction, what is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referly.capture.headers import BadHeader, parse
from referly.capture.rules import Blocklist, Skip, Team, bulk, is_robot, mail_pairs, normalise, split_name
from referly.crm.models import InteractionKind
from tests.capture.mailbox_files import message

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
TEAM = Team(frozenset({"northbeam.example"}), frozenset({"alice@northbeam.example", "bob@gmail.com"}))


def header(raw: bytes):  # type: ignore[no-untyped-def]
    return parse(raw.split(b"\n\n", 1)[0], NOW)


def test_sent_by_us_is_one_email_out_per_external_recipient() -> None:
    raw = message(
        "Alice <alice@northbeam.example>",
        "Jane Roe <Jane.Roe+deals@Acme.example>, carl@northbeam.example",
        AT,
        cc="Sam Poe <sam@acme.example>",
    )
    pairs = mail_pairs(header(raw), TEAM, None)
    assert not isinstance(pairs, Skip)
    assert [(p.ours[0], p.theirs[0], p.kind) for p in pairs] == [
        ("alice@northbeam.example", "jane.roe@acme.example", InteractionKind.EMAIL_OUT),
        ("alice@northbeam.example", "sam@acme.example", InteractionKind.EMAIL_OUT),
    ]
    assert pairs[0].at == AT and pairs[0].theirs[1] == "Jane Roe"


def test_received_is_email_in_to_each_of_us_named_or_else_the_mailbox_owner() -> None:
    raw = message("jane@acme.example", "alice@northbeam.example, bob@gmail.com", AT)
    pairs = mail_pairs(header(raw), TEAM, None)
    assert not isinstance(pairs, Skip)
    assert {(p.ours[0], p.kind) for p in pairs} == {
        ("alice@northbeam.example", InteractionKind.EMAIL_IN),
        ("bob@gmail.com", InteractionKind.EMAIL_IN),  # a teammate's own address counts wherever it is
    }
    blind = message("jane@acme.example", "undisclosed-recipients:;", AT)
    assert mail_pairs(header(blind), TEAM, None) is Skip.NOT_OURS
    owned = mail_pairs(header(blind), TEAM, "carl@northbeam.example")
    assert not isinstance(owned, Skip) and owned[0].ours[0] == "carl@northbeam.example"


@pytest.mark.parametrize(
    ("extra", "sender", "to", "reason"),
    [
        ("List-Id: <dev.lists.acme.example>", "jane@acme.example", "alice@northbeam.example", Skip.BULK),
        ("Precedence: bulk", "jane@acme.example", "alice@northbeam.example", Skip.BULK),
        ("Auto-Submitted: auto-replied", "jane@acme.example", "alice@northbeam.example", Skip.BULK),
        ("", "no-reply@acme.example", "alice@northbeam.example", Skip.ROBOT),
        ("", "MAILER-DAEMON@acme.example", "alice@northbeam.example", Skip.ROBOT),
        ("", "alice@northbeam.example", "carl@northbeam.example, bob@gmail.com", Skip.INTERNAL),
        ("", "jane@acme.example", "sam@acme.example", Skip.NOT_OURS),
    ],
)
def test_skipped_whole(extra: str, sender: str, to: str, reason: Skip) -> None:
    assert mail_pairs(header(message(sender, to, AT, extra=extra)), TEAM, None) is reason


def test_auto_submitted_no_is_a_person_writing() -> None:
    raw = message("jane@acme.example", "alice@northbeam.example", AT, extra="Auto-Submitted: no")
    assert not bulk(header(raw))


@pytest.mark.parametrize(
    ("date", "reason"),
    [(None, "missing"), ("Thu Jan 01 00:00:10 +0000", "not a date"), ("Mon, 1 Jan 1900 10:00:00 +0000", "impossible")],
)
def test_a_missing_or_impossible_date_names_the_header(date: str | None, reason: str) -> None:
    raw = b"From: jane@acme.example\nTo: alice@northbeam.example\n"
    if date:
        raw += f"Date: {date}\n".encode()
    with pytest.raises(BadHeader) as caught:
        parse(raw, NOW)
    assert caught.value.header == "Date" and reason in caught.value.reason


def test_a_message_without_message_id_gets_a_stable_digest() -> None:
    raw = message("jane@acme.example", "alice@northbeam.example", AT)
    assert header(raw).key.startswith("digest:") and header(raw).key == header(raw).key
    other = message("jane@acme.example", "alice@northbeam.example", AT.replace(minute=31))
    assert header(other).key != header(raw).key
    assert header(message("a@b.example", "c@d.example", AT, message_id="X@Y")).key == "x@y"


def test_eight_bit_headers_in_an_unknown_charset_are_read_not_refused() -> None:
    raw = (
        b"From: =?x-unknown?q?Ren=E9?= <rene@acme.example>\nTo: J\xe9r\xf4me <alice@northbeam.example>\n"
        b"Date: Tue, 3 Nov 2026 09:30:00 +0000\n"
    )
    found = parse(raw, NOW)
    assert found.sender is not None and found.sender[0] == "rene@acme.example"
    assert found.recipients[0][0] == "alice@northbeam.example"


def test_blocklist_blocks_an_address_a_domain_and_its_subdomains() -> None:
    blocked = Blocklist.of(["Counsel@LawFirm.example", "hr.acme.example"])
    assert blocked.blocks("counsel@lawfirm.example")
    assert blocked.blocks("ann@hr.acme.example") and blocked.blocks("ann@eu.hr.acme.example")
    assert not blocked.blocks("ann@acme.example") and not blocked.blocks("other@lawfirm.example")


def test_robots_and_names() -> None:
    assert is_robot("calendar-notification@google.com") and is_robot("noreply+x@acme.example")
    assert not is_robot("jane@acme.example") and not is_robot("norah@acme.example")
    assert split_name("Roe, Jane") == ("Jane", "Roe") and split_name("Jane van Roe") == ("Jane van", "Roe")
    assert split_name("jane@acme.example") == ("", "")


_local = st.text(alphabet="abcdefghij.-_", min_size=1, max_size=12).filter(lambda s: s[0] not in ".-")
_domain = st.sampled_from(["acme.example", "Acme.EXAMPLE", "northbeam.example", "beta.example"])
_address = st.builds(lambda a, b, d: f"{a}{b}@{d}", _local, st.sampled_from(["", "+tag", "+x+y"]), _domain)


@given(_address)
def test_normalise_is_idempotent_and_drops_case_and_plus_tags(address: str) -> None:
    once = normalise(address)
    assert normalise(once) == once and once == once.lower() and "+" not in once


@given(_address, st.lists(_address, min_size=1, max_size=6))
def test_pairs_always_join_one_of_us_to_one_of_them(sender: str, recipients: list[str]) -> None:
    raw = message(sender, ", ".join(recipients), AT)
    pairs = mail_pairs(header(raw), TEAM, "owner@northbeam.example")
    if isinstance(pairs, Skip):
        return
    for pair in pairs:
        assert TEAM.is_ours(pair.ours[0]) or pair.ours[0] == "owner@northbeam.example"
        assert not TEAM.is_ours(pair.theirs[0])
    assert len({(p.ours[0], p.theirs[0]) for p in pairs}) == len(pairs)


_name = st.text(alphabet="ABCDEFGHIJabcdefghij éèçÉ-'", max_size=14)
_header_name = st.sampled_from(["From", "To", "CC", "Date", "Message-ID", "X-Mailer", "Received", "list-id"])


@given(st.lists(st.tuples(_name, _address), min_size=1, max_size=5))
def test_the_quick_address_reader_agrees_with_the_standard_library(people: list[tuple[str, str]]) -> None:
    from email.utils import getaddresses

    from referly.capture.headers import _simple_addresses

    value = ", ".join(f"{n} <{a}>" if n.strip() else a for n, a in people)
    quick = _simple_addresses([value])
    if quick is not None:
        assert [(a, n) for a, n in quick] == [(a, n.strip()) for n, a in getaddresses([value])]


@given(st.lists(st.tuples(_header_name, st.text(alphabet="abc@. <>,:;-0123", max_size=30), st.booleans()), max_size=8))
def test_the_fields_read_are_the_standard_parsers_unfolded(lines: list[tuple[str, str, bool]]) -> None:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    from referly.capture.headers import read_fields

    raw = "".join(f"{n}: {v}\n" + (" folded\n" if fold else "") for n, v, fold in lines).encode()
    ours = read_fields(raw)
    theirs = BytesHeaderParser(policy=compat32).parsebytes(raw)
    for name in ("from", "to", "cc", "date", "message-id", "list-id"):
        expected = [" ".join(str(v).split()) for v in theirs.get_all(name) or []]
        assert [" ".join(v.split()) for v in ours.get(name, [])] == expected


_offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1980, 1, 2), max_value=datetime(2100, 1, 1)), _offsets, st.booleans())
def test_the_quick_date_reader_agrees_with_the_standard_library(when: datetime, zone: tzinfo, weekday: bool) -> None:
    from email.utils import format_datetime, parsedate_to_datetime

    from referly.capture.headers import quick_date

    text = format_datetime(when.replace(microsecond=0, tzinfo=zone))
    if not weekday:
        text = text.split(", ", 1)[1]
    assert quick_date(text) == parsedate_to_datetime(text).astimezone(UTC)


@given(st.text(alphabet="0123456789 :+-,ADFJMNOSTWabcdeghlnoprtuvy()", max_size=40))
def test_the_quick_date_reader_never_disagrees_on_anything_it_reads(text: str) -> None:
    from email.utils import parsedate_to_datetime

    from referly.capture.headers import quick_date

    quick = quick_date(text)
    if quick is not None:
        assert quick == parsedate_to_datetime(text).astimezone(UTC)
