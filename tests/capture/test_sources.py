"""Sources as a user meets them: adding one (checked, the password encrypted), `referly source` commands with
clear failures, and a sync that is killed or loses its server resuming with nothing lost or doubled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referly.capture.models import Source, SourceCursor
from referly.capture.secrets import decrypt, password_of
from referly.capture.sources import add_caldav_source, add_imap_source, remove_source
from referly.crm.models import Teammate
from referly.errors import Conflict, InvalidInput, NotFound, Unavailable
from tests.capture.dovecot import Dovecot, message, need_dovecot, running_dovecot
from tests.conftest import RunCli, scratch_settings
from tests.jobs.scratch import query, start_referly, writes_held
from tests.test_cli import assert_clean_failure

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ALICE = "alice@example.com"
PASSWORD = "alice-secret"
MANY = 4_000  # eight batches


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need_dovecot()
    with running_dovecot() as server:
        yield server


def imap_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "host": "imap.example.com",
        "port": None,
        "security": "tls",
        "username": ALICE,
        "password": PASSWORD,
        "token_command": "",
        "folders": [],
        "owner_email": ALICE,
        "ca_file": "",
        "now": NOW,
    }
    return fields | changes


# --- the services ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_source_keeps_its_password_encrypted_and_its_owner_becomes_a_teammate() -> None:
    source = add_imap_source(**imap_fields(owner_email="Alice+Mail@Example.com", folders=[" INBOX ", "INBOX", "Deals"]))
    row = Source.objects.get(pk=source.pk)
    assert PASSWORD not in row.secret and row.secret.startswith("gAAAA")  # a Fernet token
    assert decrypt(row.secret) == PASSWORD == password_of(row)
    assert row.folders == ["INBOX", "Deals"]
    assert (row.owner.email, row.owner.source_system) == ("alice@example.com", "capture")
    assert (row.where, row.port_in_use) == ("imap imap.example.com:993", 993)
    again = add_imap_source(**imap_fields(username="sales@example.com", security="starttls"))
    assert again.owner == row.owner and Teammate.objects.count() == 1
    assert again.where == "imap imap.example.com:143"


@pytest.mark.django_db
def test_a_stored_password_under_another_secret_key_is_a_clear_sentence(settings: Any) -> None:
    source = add_imap_source(**imap_fields())
    settings.SECRET_KEY = "another key entirely"
    with pytest.raises(Unavailable, match=r"cannot be decrypted .* remove the source and add it again"):
        password_of(source)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"host": ""}, "host", "is not a server name"),
        ({"host": "imaps://imap.example.com"}, "host", "is not a server name"),
        ({"host": "imap.example.com:993"}, "host", "give the port on its own"),
        ({"port": 0}, "port", "between 1 and 65535"),
        ({"security": "ssl"}, "security", "tls or starttls"),
        ({"username": " "}, "username", "user name"),
        ({"password": None}, "password", "either a password or an OAuth2 token command"),
        ({"token_command": "get-token"}, "password", "not both"),
        ({"folders": ["INBOX", " "]}, "folders", "cannot be empty"),
        ({"owner_email": "alice"}, "owner_email", "not an e-mail address"),
        ({"ca_file": "/no/such/ca.pem"}, "ca_file", "does not exist"),
    ],
)
def test_a_bad_imap_source_is_refused_with_the_field_at_fault(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        add_imap_source(**imap_fields(**changes))
    assert refused.value.field == field
    assert Source.objects.count() == 0


@pytest.mark.django_db
def test_the_same_mailbox_twice_is_a_conflict_and_a_removed_source_is_gone() -> None:
    first = add_imap_source(**imap_fields())
    with pytest.raises(Conflict, match=f"Source {first.pk} already reads"):
        add_imap_source(**imap_fields(username=ALICE.upper()))
    SourceCursor.objects.create(source=first, folder="INBOX", uid_validity=1, last_uid=9)
    remove_source(first.pk)
    assert (Source.objects.count(), SourceCursor.objects.count()) == (0, 0)
    with pytest.raises(NotFound, match=f"No source {first.pk}"):
        remove_source(first.pk)


@pytest.mark.django_db
def test_a_calendar_source_is_stored_and_an_http_address_elsewhere_is_refused() -> None:
    made = add_caldav_source(
        url="https://dav.example.com/alice/calendar/", username="alice", password="dav-secret", token_command="",
        owner_email=ALICE, ca_file="", now=NOW,
    )  # fmt: skip
    assert (made.kind, made.where, made.host) == ("caldav", "caldav https://dav.example.com/alice/calendar/", "")
    assert decrypt(made.secret) == "dav-secret"
    for url, words in (
        ("http://dav.example.com/cal/", "is not encrypted"),
        ("dav.example.com", "not a calendar"),
        ("https://alice:S3cret@dav.example.com/cal/", "not in the calendar's address"),
    ):
        with pytest.raises(InvalidInput, match=words):
            add_caldav_source(url=url, username="a", password="p", token_command="", owner_email=ALICE, ca_file="",
                              now=NOW)  # fmt: skip


# --- the commands -------------------------------------------------------------------------------------------------


def settings_for(env: dict[str, str], server: Dovecot) -> dict[str, str]:
    return env | {
        "REFERLY_TEAM_DOMAINS": "example.com",
        "REFERLY_SECRET_KEY": "a fixed key for these tests",
        "REFERLY_SOURCE_CA_FILE": str(server.ca_file),
    }


def prepare(run_referly: RunCli, env: dict[str, str], server: Dovecot, folder: Path, password: str = PASSWORD) -> None:
    """The accounts, and the mailbox as a source."""
    folder.mkdir(exist_ok=True)
    (folder / "accounts.csv").write_text("name,domain\nAcme,acme.example\nGlobex,globex.example\n")
    done = run_referly("import", "accounts", str(folder / "accounts.csv"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    added = run_referly(
        "source", "add", "imap", "--host", "127.0.0.1", "--port", str(server.imaps_port), "--user", ALICE,
        "--password-env", "THE_PASSWORD", "--owner", ALICE, env=env | {"THE_PASSWORD": password},
    )  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    assert f"Source 1 added: imap 127.0.0.1:{server.imaps_port} as {ALICE}" in added.stdout


def many_messages(server: Dovecot, count: int = MANY) -> None:
    """``count`` messages in and out with 400 people at two accounts, a few newsletters among them."""
    inbox, sent = [], []
    for n in range(count):
        person = f"person{n % 400}@{'acme' if n % 2 else 'globex'}.example"
        at = DAY + timedelta(minutes=n)
        if n % 5 == 0:
            sent.append(message(ALICE, person, at))
        else:
            inbox.append(message(person, ALICE, at, extra="List-Id: <x.example>\r\n" if n % 97 == 0 else ""))
    server.append(ALICE, "INBOX", inbox)
    server.append(ALICE, "Sent", sent)


def interactions(env: dict[str, str]) -> set[tuple[Any, ...]]:
    rows = query(
        env,
        "SELECT c.email, t.email, i.kind, i.occurred_at FROM crm_interaction i "
        "JOIN crm_contact c ON c.id = i.contact_id JOIN crm_teammate t ON t.id = i.teammate_id",
    )
    return {(c, t, k, str(at)[:19].replace("T", " ")) for c, t, k, at in rows}


def committed_uids(env: dict[str, str]) -> int:
    return int(query(env, "SELECT COALESCE(SUM(last_uid), 0) FROM capture_sourcecursor")[0][0])


def stopped_mid_sync(env: dict[str, str], cwd: Path) -> Any:
    """A `referly source sync` process, held (alive) in the middle of a batch once a first batch committed."""
    process = start_referly("source", "sync", env=env, cwd=cwd)
    deadline = time.monotonic() + 120
    while committed_uids(env) == 0:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "no batch committed in 2 minutes"
        time.sleep(0.005)
    return process


def test_wrong_password_and_server_down_fail_with_one_sentence_and_are_recorded(
    run_referly: RunCli, scratch_database: dict[str, str], dovecot: Dovecot, tmp_path: Path
) -> None:
    env = settings_for(scratch_database, dovecot)
    prepare(run_referly, env, dovecot, tmp_path / "in", password="not-the-password")
    where = f"imap 127.0.0.1:{dovecot.imaps_port}"

    refused = run_referly("source", "sync", env=env)
    assert_clean_failure(refused, 6, f"Error: {where}: login refused for {ALICE} (wrong password?)")
    assert "not-the-password" not in refused.stdout + refused.stderr
    listed = json.loads(run_referly("source", "list", "--json", env=env).stdout)
    assert listed[0]["last_error"] == f"{where}: login refused for {ALICE} (wrong password?)"

    dovecot.stop()
    down = run_referly("source", "sync", "1", env=env)
    assert_clean_failure(down, 6, f"Error: {where}: cannot connect (connection refused)")
    assert down.stderr.strip() == f"Error: {where}: cannot connect (connection refused)"
    listed = json.loads(run_referly("source", "list", "--json", env=env).stdout)
    assert listed[0]["last_error"] == f"{where}: cannot connect (connection refused)"
    assert_clean_failure(run_referly("source", "sync", "7", env=env), 3, "No source 7")


def test_the_commands_add_list_sync_and_remove_and_never_print_the_password(
    run_referly: RunCli, scratch_database: dict[str, str], dovecot: Dovecot, tmp_path: Path
) -> None:
    env = settings_for(scratch_database, dovecot)
    dovecot.append(ALICE, "INBOX", [message("Jane Roe <jane@acme.example>", ALICE, DAY)])
    prepare(run_referly, env, dovecot, tmp_path / "in")

    synced = run_referly("source", "sync", "--json", env=env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    result = json.loads(synced.stdout)
    assert [(r["id"], r["ok"], r["summary"]["read"], r["summary"]["added"]) for r in result] == [(1, True, 1, 1)]
    table = run_referly("source", "sync", env=env)
    assert table.returncode == 0 and "interactions added" in table.stdout and "Source 1: imap" in table.stdout

    listed = run_referly("source", "list", "--json", env=env)
    row = json.loads(listed.stdout)[0]
    assert (row["kind"], row["username"], row["login"], row["owner"], row["last_error"]) == (
        "imap", ALICE, "password", ALICE, None
    )  # fmt: skip
    assert (row["last_counts"]["read"], row["last_counts"]["errors"]) == (0, 0)
    secret = query(env, "SELECT secret FROM capture_source")[0][0]
    assert PASSWORD not in secret and secret
    for shown in (listed, run_referly("source", "list", env=env), synced):
        assert PASSWORD not in shown.stdout + shown.stderr and secret not in shown.stdout

    oauth = run_referly(
        "source", "add", "imap", "--host", "127.0.0.1", "--port", str(dovecot.imap_port), "--starttls",
        "--user", "sales@example.com", "--oauth2-token-command", "echo alice-token", "--owner", ALICE, env=env,
    )  # fmt: skip
    assert oauth.returncode == 0, oauth.stderr
    assert json.loads(run_referly("source", "list", "--json", env=env).stdout)[1]["login"] == "oauth2 token command"

    both = run_referly("source", "add", "imap", "--host", "h", "--user", "u", "--password-env", "X",
                       "--oauth2-token-command", "t", "--owner", ALICE, env=env | {"X": "x"})  # fmt: skip
    assert_clean_failure(both, 2, "not both")
    unset = ["--host", "h", "--user", "u", "--password-env", "UNSET_VAR", "--owner", ALICE]
    assert_clean_failure(run_referly("source", "add", "imap", *unset, env=env), 2, "the variable UNSET_VAR is not set")
    removed = run_referly("source", "remove", "2", env=env)
    assert removed.returncode == 0 and "Source 2 removed" in removed.stdout
    assert_clean_failure(run_referly("source", "remove", "2", env=env), 3, "No source 2")


def test_every_source_command_shows_an_example_in_its_help(run_referly: RunCli) -> None:
    for command in (["add", "imap"], ["add", "caldav"], ["list"], ["sync"], ["remove"], []):
        shown = run_referly("source", *command, "--help")
        assert shown.returncode == 0 and "referly source" in shown.stdout.split("Example", 1)[1], command


def test_a_sync_killed_mid_batch_resumes_and_ends_with_what_an_uninterrupted_sync_gets(
    run_referly: RunCli, scratch_database: dict[str, str], dovecot: Dovecot, tmp_path: Path
) -> None:
    many_messages(dovecot)
    env = settings_for(scratch_database, dovecot)
    prepare(run_referly, env, dovecot, tmp_path / "a")

    process = stopped_mid_sync(env, tmp_path)
    with writes_held(env, "capture_sourcecursor"):
        time.sleep(0.5)  # the process now waits to write its next batch
        assert process.poll() is None, process.communicate()[0]
        process.kill()
        process.wait(timeout=60)
    kept = committed_uids(env)
    assert 0 < kept < MANY, kept  # a part was committed, then the process died mid-sync

    resumed = run_referly("source", "sync", "--json", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads(resumed.stdout)[0]["summary"]["read"] == MANY - kept  # it went on, not from the start
    assert committed_uids(env) == MANY

    with contextmanager(scratch_settings)(tmp_path, "imap_whole") as other:
        whole_env = settings_for(other, dovecot)
        prepare(run_referly, whole_env, dovecot, tmp_path / "b")
        whole = run_referly("source", "sync", env=whole_env)
        assert whole.returncode == 0, whole.stdout + whole.stderr
        expected = interactions(whole_env)
    got = interactions(env)
    assert len(expected) > MANY // 2
    assert len(got) == len(expected) and got == expected


def test_a_server_lost_mid_sync_keeps_the_committed_batches_and_the_next_sync_finishes(
    run_referly: RunCli, scratch_database: dict[str, str], dovecot: Dovecot, tmp_path: Path
) -> None:
    many_messages(dovecot)
    env = settings_for(scratch_database, dovecot)
    prepare(run_referly, env, dovecot, tmp_path / "a")

    process = stopped_mid_sync(env, tmp_path)
    with writes_held(env, "capture_sourcecursor"):
        time.sleep(0.5)
        dovecot.stop()
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 6, out
    assert "Traceback" not in out
    where = f"imap 127.0.0.1:{dovecot.imaps_port}"
    assert f"Error: {where}: the connection was lost while reading INBOX" in out, out
    kept = committed_uids(env)
    assert 0 < kept < MANY
    first = json.loads(run_referly("source", "list", "--json", env=env).stdout)[0]
    assert first["last_error"].startswith(f"{where}: the connection was lost while reading INBOX")
    assert first["last_counts"]["read"] == kept  # what it read is what it committed

    dovecot.start()
    finished = run_referly("source", "sync", "--json", env=env)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert json.loads(finished.stdout)[0]["summary"]["read"] == MANY - kept
    assert committed_uids(env) == MANY
    assert json.loads(run_referly("source", "list", "--json", env=env).stdout)[0]["last_error"] is None
    assert len(interactions(env)) == int(query(env, "SELECT COUNT(*) FROM crm_interaction")[0][0]) > MANY // 2
