"""Capturing mail files: what lands, what is skipped and why, bad files, and doing it twice."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referly.capture.mail import capture_files
from referly.crm.models import Contact, Interaction, InteractionKind
from tests.capture.mailbox_files import maildir, message, takeout_mbox
from tests.factories import make_account, make_contact, make_teammate

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("REFERLY_TEAM_DOMAINS", "northbeam.example")
    acme = make_account("Acme", domain="acme.example")
    return {
        "alice": make_teammate("Alice Martin", email="alice@northbeam.example"),
        "jane": make_contact(acme, first_name="Jane", last_name="Roe", email="jane@acme.example"),
        "acme": acme,
    }


def week_of_mail() -> list[bytes]:
    """Five exchanges with Jane, one with a stranger at Acme, a newsletter, an internal note, a robot."""
    mail = []
    for n in range(5):
        at = DAY + timedelta(days=n)
        mail.append(message("Alice Martin <alice@northbeam.example>", "Jane Roe <jane@acme.example>", at,
                            message_id=f"out{n}@northbeam.example"))  # fmt: skip
        mail.append(message("Jane Roe <jane+work@Acme.example>", "alice@northbeam.example", at + timedelta(hours=2),
                            message_id=f"in{n}@acme.example"))  # fmt: skip
    mail.append(message("Sam Poe <sam@acme.example>", "alice@northbeam.example", DAY, message_id="s@acme.example"))
    mail.append(message("news@acme.example", "alice@northbeam.example", DAY, extra="List-Id: <news.acme.example>"))
    mail.append(message("alice@northbeam.example", "carl@northbeam.example", DAY, message_id="int@northbeam"))
    mail.append(message("noreply@acme.example", "alice@northbeam.example", DAY, message_id="robot@acme"))
    return mail


def test_an_mbox_from_gmail_takeout_becomes_touches_and_a_second_capture_adds_nothing(
    world: dict[str, Any], tmp_path: Path
) -> None:
    path = takeout_mbox(tmp_path / "All mail Including Spam and Trash.mbox", week_of_mail())
    first = capture_files([path], owner=None, now=NOW)
    jane = Interaction.objects.filter(contact=world["jane"], teammate=world["alice"])
    assert jane.filter(kind=InteractionKind.EMAIL_OUT).count() == 5
    assert jane.filter(kind=InteractionKind.EMAIL_IN).count() == 5
    sam = Contact.objects.get(email="sam@acme.example")  # unknown, at a known account's domain: captured
    assert (sam.account, sam.source_system, sam.first_name, sam.last_name) == (world["acme"], "capture", "Sam", "Poe")
    assert (first.read, first.captured, first.added) == (14, 11, 11)
    assert dict(first.skipped) == {"mailing list or bulk": 1, "internal only": 1, "robot sender": 1}
    assert first.accounted == first.read and first.people["created"] == 1 and first.people["matched"] == 1

    again = capture_files([path], owner=None, now=NOW)
    assert (again.read, again.added, again.accounted) == (14, 0, 14)
    assert Interaction.objects.count() == 11


def test_maildir_eml_and_zip_of_the_same_messages_count_each_message_once(
    world: dict[str, Any], tmp_path: Path
) -> None:
    mail = week_of_mail()[:4]
    maildir(tmp_path / "Maildir" / ".Sent", mail)
    (tmp_path / "loose.eml").write_bytes(mail[0])
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        for n, raw in enumerate(mail):
            archive.writestr(f"export/cur/{n}:2,S", raw)
    summary = capture_files([tmp_path / "Maildir", tmp_path / "loose.eml", tmp_path / "export.zip"], owner=None,
                            now=NOW)  # fmt: skip
    assert (summary.read, summary.captured, summary.duplicates, summary.added) == (9, 4, 5, 4)


def test_bad_files_are_counted_and_named_and_the_good_messages_kept(world: dict[str, Any], tmp_path: Path) -> None:
    good = message("alice@northbeam.example", "jane@acme.example", DAY, message_id="good@nb")
    no_date = b"From: jane@acme.example\nTo: alice@northbeam.example\nMessage-ID: <nd@acme>\n\nbody\n"
    future = message("jane@acme.example", "alice@northbeam.example", NOW + timedelta(days=400), message_id="f@a")
    truncated = b"From: jane@acme.example\nTo: alice@northbeam.example\nDate: Mon, 2 Nov 2026 09:00"
    mbox = tmp_path / "cut.mbox"
    takeout_mbox(mbox, [good, no_date, future], crlf=False)
    with mbox.open("ab") as out:
        out.write(b"From 1@xxx Mon Dec 07 09:00:00 +0000 2026\n" + truncated)
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../../outside.eml", good)
        archive.writestr("inside.eml", message("jane@acme.example", "alice@northbeam.example", DAY, message_id="z@a"))
    summary = capture_files([mbox, tmp_path / "evil.zip", tmp_path / "missing.mbox"], owner=None, now=NOW)
    errors = {(Path(e.where.split(" #")[0].split("!")[0]).name, e.header) for e in summary.errors}
    assert errors == {("cut.mbox", "Date"), ("cut.mbox", "headers"), ("evil.zip", "zip"), ("missing.mbox", "file")}
    reasons = " | ".join(e.reason for e in summary.errors)
    assert "missing" in reasons and "impossible date" in reasons and "outside the archive" in reasons
    assert "truncated" in reasons and "no such file" in reasons
    assert summary.added == 2 and summary.accounted == summary.read == 7
    assert not (tmp_path.parent / "outside.eml").exists()


def test_strict_refuses_the_whole_capture_and_dry_run_writes_nothing(world: dict[str, Any], tmp_path: Path) -> None:
    good = message("alice@northbeam.example", "jane@acme.example", DAY, message_id="good@nb")
    bad = b"From: jane@acme.example\nTo: alice@northbeam.example\n\nno date\n"
    path = takeout_mbox(tmp_path / "mixed.mbox", [good, bad])
    refused = capture_files([path], owner=None, now=NOW, strict=True)
    assert refused.refused and Interaction.objects.count() == 0
    dry = capture_files([path], owner=None, now=NOW, dry_run=True)
    assert dry.added == 1 and Interaction.objects.count() == 0
    capture_files([tmp_path / "mixed.mbox"], owner=None, now=NOW)
    assert Interaction.objects.count() == 1


def test_a_zip_bomb_is_refused_without_unpacking_it(world: dict[str, Any], tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("all.mbox", b"From x\n" + b"\0" * (64 << 20))
    summary = capture_files([tmp_path / "bomb.zip"], owner=None, now=NOW)
    assert [(e.header, "unpacks to" in e.reason) for e in summary.errors] == [("zip", True)]


def test_a_50_mb_attachment_is_read_past(world: dict[str, Any], tmp_path: Path) -> None:
    body = "--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + ("QUJD" * 19 + "\n") * 660_000
    big = message("jane@acme.example", "alice@northbeam.example", DAY, message_id="big@acme", body=body)
    assert len(big) > 50_000_000
    (tmp_path / "big.eml").write_bytes(big)
    path = takeout_mbox(tmp_path / "big.mbox", [big, message("alice@northbeam.example", "jane@acme.example", DAY,
                                                             message_id="after@nb")])  # fmt: skip
    summary = capture_files([tmp_path / "big.eml", path], owner=None, now=NOW)
    assert (summary.read, summary.duplicates, summary.added, summary.errors) == (3, 1, 2, [])


def test_forget_holds_against_every_later_capture(world: dict[str, Any], tmp_path: Path) -> None:
    from referly.privacy.services import forget

    path = takeout_mbox(tmp_path / "mail.mbox", week_of_mail())
    capture_files([path], owner=None, now=NOW)
    forget("jane@acme.example", NOW)
    forget("sam@acme.example", NOW)
    before = Interaction.objects.count()
    again = capture_files([path], owner=None, now=NOW)
    assert again.added == 0 and Interaction.objects.count() == before
    assert again.people["forgotten"] == 2
    assert not Contact.objects.filter(email__in=["jane@acme.example", "sam@acme.example"]).exists()
    from referly.crm.models import ForgottenAddress

    kept = list(ForgottenAddress.objects.values_list("digest", flat=True))
    assert kept and not any("jane" in d or "acme" in d for d in kept)  # a keyed digest, not the address
    plus = message("alice@northbeam.example", "Jane+New@acme.example", DAY + timedelta(days=30), message_id="p@nb")
    later = capture_files([takeout_mbox(tmp_path / "later.mbox", [plus])], owner=None, now=NOW)
    assert later.added == 0 and later.people["forgotten"] == 1
    renamed = message(
        "Jane Roe <j.roe@acme.example>", "alice@northbeam.example", DAY + timedelta(days=31), message_id="r@a"
    )
    again_by_name = capture_files([takeout_mbox(tmp_path / "new.mbox", [renamed])], owner=None, now=NOW)
    assert again_by_name.added == 0 and again_by_name.people["forgotten"] == 1
    assert not Contact.objects.filter(email="j.roe@acme.example").exists()

    from referly.capture.connections import capture_connections

    csv = tmp_path / "Connections.csv"
    csv.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                   "Jane,Roe,,,Acme,COO,05 Dec 2026\n", encoding="utf-8")  # fmt: skip
    linked = capture_connections(csv, teammate="alice@northbeam.example", now=NOW)
    assert linked.skipped["forgotten"] == 1 and not Contact.objects.filter(last_name="Roe").exists()


def test_blocklisted_opted_out_and_unknown_domains_are_counted_not_captured(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_CAPTURE_BLOCKLIST", "legal.acme.example")
    make_contact(world["acme"], email="olga@acme.example", opted_out_of_asks=True)
    mail = [
        message("alice@northbeam.example", "ann@legal.acme.example", DAY, message_id="1@nb"),
        message("alice@northbeam.example", "olga@acme.example", DAY, message_id="2@nb"),
        message("alice@northbeam.example", "pat@unknown.example, pal@gmail.com", DAY, message_id="3@nb"),
    ]
    summary = capture_files([takeout_mbox(tmp_path / "m.mbox", mail)], owner=None, now=NOW)
    assert summary.added == 0 and summary.skipped["only people never captured"] == 3
    assert summary.people["blocklisted"] == 1 and summary.people["opted out"] == 1
    assert summary.unknown_domains == {"unknown.example": 1}
    assert summary.people["personal address, not a contact"] == 1
    made = capture_files([takeout_mbox(tmp_path / "m.mbox", mail)], owner=None, now=NOW, create_accounts=True)
    assert made.added == 1 and Contact.objects.get(email="pat@unknown.example").account.domain == "unknown.example"


def test_the_mailbox_owner_becomes_a_teammate_and_receives_blind_copies(world: dict[str, Any], tmp_path: Path) -> None:
    blind = message("jane@acme.example", "undisclosed-recipients:;", DAY, message_id="bcc@acme")
    capture_files([takeout_mbox(tmp_path / "m.mbox", [blind])], owner="Bea@Northbeam.example", now=NOW)
    touch = Interaction.objects.get()
    assert (touch.teammate.email, touch.kind) == ("bea@northbeam.example", InteractionKind.EMAIL_IN)


def test_the_notmuch_corpora_capture_without_a_traceback_and_add_up(
    datasets: Path, run_referly: Any, scratch_database: dict[str, str]
) -> None:
    env = {**scratch_database, "REFERLY_TEAM_DOMAINS": "notmuchmail.org"}
    corpora = datasets / "notmuch-corpora"
    done = run_referly("capture", "mail", str(corpora), "--mailbox-owner", "cworth@notmuchmail.org", "--json", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    first = json.loads(done.stdout)
    files = [p for p in corpora.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    mail_files = [p for p in files if p.name not in {"README", "SOURCE.md"}]
    counted = first["captured"] + first["duplicates"] + sum(first["skipped"].values()) + len(first["errors"])
    assert first["read"] == counted == len(mail_files)
    assert first["duplicates"] > 0 and first["skipped"]["mailing list or bulk"] > 100
    assert all(e["where"].startswith(str(corpora)) and e["header"] and e["reason"] for e in first["errors"])
    again = run_referly("capture", "mail", str(corpora), "--mailbox-owner", "cworth@notmuchmail.org", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["added"] == 0
    shown = run_referly("capture", "mail", str(corpora / "broken"), env=env)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr and "messages read" in shown.stdout


_line = st.text(alphabet="abFrom :\t", max_size=12)
_block = st.lists(_line, max_size=4)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(_block, st.lists(_line, max_size=5)), min_size=1, max_size=5),
    st.booleans(),
    st.booleans(),
)
def test_a_mapped_mbox_file_splits_as_its_stream_does(
    tmp_path_factory: pytest.TempPathFactory, messages: list[tuple[list[str], list[str]]], crlf: bool, cut: bool
) -> None:
    """The fast reader of mbox files on disk and the line reader of streams (zip members) agree on every
    message, error and number, whatever the blank lines, stray 'From' words, line endings and truncation."""
    import io

    from referly.capture.mailfiles import mbox, mbox_lines

    newline = "\r\n" if crlf else "\n"
    text = ""
    for n, (headers, body) in enumerate(messages):
        text += f"From {n}@xxx Mon Dec 07 09:00:00 +0000 2026{newline}"
        text += "".join(f"H{k}: {h}{newline}" for k, h in enumerate(headers))
        text += newline + "".join(f"{b}{newline}" for b in body) + newline
    data = text.encode()
    if cut:
        data = data[: len(data) * 2 // 3]
    if not data.startswith(b"From "):
        return
    path = tmp_path_factory.mktemp("mbox") / "m.mbox"
    path.write_bytes(data)
    with path.open("rb") as handle:
        mapped = list(mbox(handle, "m"))
    assert mapped == list(mbox_lines(io.BytesIO(data), "m"))


def test_a_broken_encoded_name_is_read_as_it_is_and_never_stops_the_capture(
    world: dict[str, Any], tmp_path: Path
) -> None:
    broken = (
        b"From: =?utf-8?b?a?= <jane@acme.example>\nTo: alice@northbeam.example\n"
        b"Date: Mon, 2 Nov 2026 09:00:00 +0000\nMessage-ID: <b1@acme>\n\n"
    )
    stray = broken.replace(b"=?utf-8?b?a?=", b"=?utf\xff-8?q?x?=").replace(b"b1@", b"b2@")
    after = message("jane@acme.example", "alice@northbeam.example", DAY + timedelta(days=1), message_id="b3@a")
    summary = capture_files([takeout_mbox(tmp_path / "m.mbox", [broken, stray, after])], owner=None, now=NOW)
    assert (summary.read, summary.captured, summary.errors) == (3, 3, []) and summary.added == 2  # two share a time


def test_the_blocklist_holds_for_people_already_in_the_crm(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERLY_CAPTURE_BLOCKLIST", "jane@acme.example")
    mail = [message("alice@northbeam.example", "jane@acme.example", DAY, message_id="k@nb")]
    summary = capture_files([takeout_mbox(tmp_path / "m.mbox", mail)], owner=None, now=NOW)
    assert summary.added == 0 and summary.people["blocklisted"] == 1 and Interaction.objects.count() == 0


def test_moves_come_from_what_people_send_and_never_from_the_opted_out(world: dict[str, Any], tmp_path: Path) -> None:
    from referly.crm.models import Signal

    globex = make_account("Globex", domain="globex.example")
    olga = make_contact(world["acme"], first_name="Olga", last_name="Out", email="olga@acme.example",
                        opted_out_of_asks=True)  # fmt: skip
    jan, feb, mar = (datetime(2026, m, 5, 9, tzinfo=UTC) for m in (1, 2, 3))
    mail = [
        message("Jane Roe <jane@globex.example>", "alice@northbeam.example", jan, message_id="j1@g"),
        message("alice@northbeam.example", "Jane Roe <jane@acme.example>", feb, message_id="j2@nb"),  # her old one
        message("Jane Roe <jane@globex.example>", "alice@northbeam.example", mar, message_id="j3@g"),
        message("Olga Out <olga@globex.example>", "alice@northbeam.example", jan, message_id="o1@g"),
        message("Olga Out <o.out@acme.example>", "alice@northbeam.example", jan, message_id="o2@a"),
    ]
    capture_files([takeout_mbox(tmp_path / "m.mbox", mail)], owner=None, now=NOW)
    jane = Contact.objects.get(pk=world["jane"].pk)
    assert (jane.account, jane.email) == (globex, "jane@globex.example")
    assert Signal.objects.filter(contact=jane, kind="job_change").count() == 1
    assert Interaction.objects.filter(contact=jane).count() == 3  # the one to her old address is hers too
    olga.refresh_from_db()
    assert (olga.account, olga.email) == (world["acme"], "olga@acme.example")
    assert not Signal.objects.filter(contact=olga).exists() and not Interaction.objects.filter(contact=olga).exists()
    assert not Contact.objects.filter(email__in=["olga@globex.example", "o.out@acme.example"]).exists()


def test_an_address_too_long_to_be_one_is_counted_not_stored(world: dict[str, Any], tmp_path: Path) -> None:
    long = "x" * 70 + "@acme.example"
    mail = [message("alice@northbeam.example", long, DAY, message_id="l@nb")]
    summary = capture_files([takeout_mbox(tmp_path / "m.mbox", mail)], owner=None, now=NOW)
    assert summary.people["not an address"] == 1 and not Contact.objects.filter(email=long).exists()


def test_a_header_line_of_megabytes_in_a_zipped_mbox_is_a_named_error(world: dict[str, Any], tmp_path: Path) -> None:
    import base64
    import os

    huge = b"X-Junk: " + base64.b64encode(os.urandom(3 << 20)) + b"\n"
    mbox = b"From a@xxx Mon Dec 07 09:00:00 +0000 2026\n" + huge + b"\nbody\n"
    good = message("jane@acme.example", "alice@northbeam.example", DAY, message_id="after-huge@acme")
    mbox += b"\nFrom b@xxx Mon Dec 07 09:00:00 +0000 2026\n" + good + b"\n"
    with zipfile.ZipFile(tmp_path / "junk.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("all.mbox", mbox)
    summary = capture_files([tmp_path / "junk.zip"], owner=None, now=NOW)
    assert [(e.header, e.reason) for e in summary.errors] == [("headers", "no end of the headers in the first 1 MB")]
    assert summary.added == 1


def test_a_capture_that_adds_nothing_says_why_and_what_to_do(world: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    strangers = [message("jane@acme.example", "sam@acme.example", DAY, message_id=f"s{n}@acme") for n in range(3)]
    said = cli("capture", "mail", str(takeout_mbox(tmp_path / "s.mbox", strangers)))
    assert said.exit_code == 0
    assert "Nothing added: 3 of 3 skipped as none of us in it: " in said.output
    assert "set REFERLY_TEAM_DOMAINS" in said.output
    ours = [message("alice@northbeam.example", "jane@acme.example", DAY, message_id="o@nb")]
    path = takeout_mbox(tmp_path / "o.mbox", ours)
    assert "Nothing added" not in cli("capture", "mail", str(path)).output
    assert "Nothing new: every touch in it was captured before." in cli("capture", "mail", str(path)).output
