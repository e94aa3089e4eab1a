"""Sync an IMAP mailbox: the headers of the messages that arrived since the last sync, folder by folder.

Each folder has a cursor (its UIDVALIDITY and the last UID captured). Headers are fetched in batches of
``BATCH`` UIDs; a batch's touches and its cursor commit together, so a sync killed at any moment resumes
after the last committed UID, with nothing lost or doubled. When a folder's UIDVALIDITY changes, its UIDs
mean other messages: the folder is read again from the start, which adds nothing already captured (an
interaction's unique key, and a Message-ID taken once per sync).

Call ``sync_mailbox`` outside any transaction: it commits per batch. A connection, TLS or login failure is
one ``Unavailable`` sentence; a connection lost (or a command refused) during the sync is ``Interrupted``:
what was committed stays.

Messages that may answer something the team sent (a reply, an automatic reply, a bounce) are handed whole to
the handlers given to ``hand_returns_to`` (the outbox gives its own at start-up): a handler picks them from
the batch's headers, and only those are fetched whole (``BODY.PEEK[]``, leaving them unread); what a handler
did is counted in the summary's ``outbox``, in the batch's transaction. Capture itself stays headers-only.
"""

from __future__ import annotations

import imaplib
import logging
import shlex
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import LoginError  # type: ignore[import-untyped]

from referly import config
from referly.capture.mail import MailCapture
from referly.capture.models import Security, Source, SourceCursor
from referly.capture.recorder import Recorder
from referly.capture.secrets import password_of
from referly.capture.summary import CaptureError, Summary
from referly.errors import Unavailable

BATCH = 500
TIMEOUT = 60.0  # seconds to connect, and to wait for any one answer
TOKEN_TIMEOUT = 60  # seconds the OAuth2 token command may take
HEADER = b"BODY[HEADER]"
WHOLE = b"BODY[]"
SENT = b"\\sent"

logger = logging.getLogger(__name__)

Wanted = Callable[[Mapping[int, bytes], str, datetime], set[int]]  # (headers by UID, owner, now) -> UIDs
Apply = Callable[[bytes, str, datetime], str]  # (whole message, owner, now) -> what it did
_RETURNS: list[tuple[Wanted, Apply]] = []


def hand_returns_to(wanted: Wanted, apply: Apply) -> None:
    """Give the messages ``wanted`` picks (from a batch's headers) whole to ``apply``, at every IMAP sync."""
    if (wanted, apply) not in _RETURNS:
        _RETURNS.append((wanted, apply))


class Interrupted(Unavailable):
    """The sync stopped half-way: ``summary`` holds what was read (its batches committed)."""

    def __init__(self, message: str, summary: Summary) -> None:
        super().__init__(message)
        self.summary = summary


def sync_mailbox(source: Source, now: datetime) -> Summary:
    """Capture the new messages of the source's folders (INBOX and the Sent folder when none are named)."""
    with transaction.atomic():
        recorder = Recorder()
        owner = source.owner.email or None
        if owner:
            recorder.teammate(owner, create=True)
    run = MailCapture(recorder, owner, now)
    with connected(source) as client:
        folders = list(source.folders) or default_folders(client)
        for folder in folders:
            try:
                _sync_folder(client, source, folder, run)
            except (OSError, imaplib.IMAP4.error) as exc:  # abort: the connection is gone; error: a NO or BAD
                what = "the connection was lost" if _lost(exc) else "the server refused a command"
                read = run.summary.read
                kept = f"what the {read:,} message(s) read before made is kept, and " if read else ""
                raise Interrupted(
                    f"{source.where}: {what} while reading {folder} ({_reason(exc)}); {kept}the next sync goes on "
                    f"from there",
                    run.summary,
                ) from None
    return run.summary


def default_folders(client: Any) -> list[str]:
    """INBOX, and the folder flagged \\Sent (SPECIAL-USE), if the server has one."""
    sent = next(
        (str(name) for flags, _, name in client.list_folders() if any(bytes(f).lower() == SENT for f in flags)), None
    )
    return ["INBOX"] if sent is None or sent.upper() == "INBOX" else ["INBOX", sent]


def _sync_folder(client: Any, source: Source, folder: str, run: MailCapture) -> None:
    try:
        selected = client.select_folder(folder, readonly=True)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        run.error(CaptureError(f"{source.where}/{folder}", "folder", f"cannot be opened ({_reason(exc)})"))
        return
    validity = int(selected.get(b"UIDVALIDITY", 0))
    with transaction.atomic():
        cursor, _ = SourceCursor.objects.get_or_create(source=source, folder=folder)
        if cursor.uid_validity != validity:  # the folder's UIDs mean other messages now: read it all again
            cursor.uid_validity, cursor.last_uid = validity, 0
            cursor.save(update_fields=["uid_validity", "last_uid"])
    if int(selected.get(b"EXISTS", 0)) == 0:
        return
    # "n:*" always answers the highest UID, even below n: keep only the new ones.
    uids = sorted(uid for uid in client.search(["UID", f"{cursor.last_uid + 1}:*"]) if uid > cursor.last_uid)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        fetched = client.fetch(batch, ["BODY.PEEK[HEADER]"])
        returns = _returns(client, fetched, source.owner.email or "", run.now)
        with transaction.atomic():
            for uid in batch:
                where = f"imap {source.host}/{folder} UID {uid}"
                header = fetched.get(uid, {}).get(HEADER)
                if header is None:  # expunged since the search
                    continue
                run.take(where, bytes(header))
            for apply, whole in returns:
                _apply(apply, whole, source.owner.email or "", run)
            run.commit()
            SourceCursor.objects.filter(pk=cursor.pk).update(last_uid=batch[-1], uid_validity=validity)


def _returns(client: Any, fetched: Mapping[int, Any], owner: str, now: datetime) -> list[tuple[Apply, bytes]]:
    """The whole messages each handler wants from the batch, fetched without marking them read."""
    if not _RETURNS or not owner:
        return []
    headers = {uid: bytes(data[HEADER]) for uid, data in fetched.items() if data.get(HEADER) is not None}
    found: list[tuple[Apply, bytes]] = []
    for wanted, apply in _RETURNS:
        chosen = sorted(wanted(headers, owner, now))
        if not chosen:
            continue
        whole = client.fetch(chosen, ["BODY.PEEK[]"])
        found += [(apply, bytes(whole[uid][WHOLE])) for uid in chosen if whole.get(uid, {}).get(WHOLE) is not None]
    return found


def _apply(apply: Apply, raw: bytes, owner: str, run: MailCapture) -> None:
    try:
        with transaction.atomic():  # a savepoint: a handler's failure leaves the batch's captures whole
            did = apply(raw, owner, run.now)
    except Exception as exc:  # one odd message must not stop the sync; the log keeps the traceback
        logger.exception("a returned message could not be applied")
        did = f"unrelated: unexpected error ({type(exc).__name__})"
    run.summary.outbox[did] += 1


@contextmanager
def connected(source: Source) -> Iterator[Any]:
    """A logged-in client, logged out at the end; ``Unavailable`` with one sentence when that fails."""
    where = source.where
    context = tls_context(source)
    try:
        client = IMAPClient(
            source.host,
            port=source.port_in_use,
            ssl=source.security != Security.STARTTLS,
            ssl_context=context,
            timeout=TIMEOUT,
        )
    except ssl.SSLCertVerificationError as exc:
        raise Unavailable(_untrusted(where, exc)) from None
    except ssl.SSLError as exc:
        raise Unavailable(f"{where}: the TLS handshake failed ({exc.reason or exc})") from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise Unavailable(f"{where}: cannot connect ({_reason(exc)})") from None
    try:
        if source.security == Security.STARTTLS:
            _start_tls(client, where, context)
        _login(client, source, where)
        yield client
    except (OSError, imaplib.IMAP4.error) as exc:
        what = "the connection was lost" if _lost(exc) else "the server refused a command"
        raise Unavailable(f"{where}: {what} ({_reason(exc)})") from None
    finally:
        _close(client)


def _close(client: Any) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        with suppress(OSError):
            client.shutdown()


def _start_tls(client: Any, where: str, context: ssl.SSLContext) -> None:
    if not client.has_capability("STARTTLS"):
        raise Unavailable(f"{where}: the server does not offer STARTTLS (use TLS, usually on port 993)")
    try:
        client.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise Unavailable(_untrusted(where, exc)) from None
    except ssl.SSLError as exc:
        raise Unavailable(f"{where}: the TLS handshake failed ({exc.reason or exc})") from None


def _login(client: Any, source: Source, where: str) -> None:
    if source.token_command:
        token = access_token(source.token_command, where)
        # XOAUTH2 is what Gmail and Microsoft 365 both take; OAUTHBEARER (RFC 7628) when it is the only one.
        bearer_only = client.has_capability("AUTH=OAUTHBEARER") and not client.has_capability("AUTH=XOAUTH2")
        try:
            if bearer_only:
                client.oauthbearer_login(source.username, token)
            else:
                client.oauth2_login(source.username, token)
        except LoginError:
            raise Unavailable(
                f"{where}: login refused for {source.username} (the OAuth2 token was not accepted: expired, or "
                f"for another account?)"
            ) from None
        return
    try:
        client.login(source.username, password_of(source))
    except LoginError:
        raise Unavailable(f"{where}: login refused for {source.username} (wrong password?)") from None


def access_token(command: str, where: str) -> str:
    """The token the command prints (its standard output, stripped). Run at each sync; never stored."""
    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, text=True, timeout=TOKEN_TIMEOUT, check=False, stdin=None
        )
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{where}: the OAuth2 token command did not finish in {TOKEN_TIMEOUT} s") from None
    except OSError as exc:
        raise Unavailable(f"{where}: the OAuth2 token command cannot run ({exc.strerror or exc})") from None
    if done.returncode != 0:  # what it printed stays unread: helpers print refresh tokens and client secrets
        raise Unavailable(
            f"{where}: the OAuth2 token command failed (exit status {done.returncode}; run it by hand to see why): "
            f"{_first(command)}"
        )
    token = done.stdout.strip()
    if not token:
        raise Unavailable(f"{where}: the OAuth2 token command printed no token: {_first(command)}")
    return token


def tls_context(source: Source) -> ssl.SSLContext:
    """Certificates checked against the source's CA file, else REFERLY_SOURCE_CA_FILE, else the system's CAs."""
    ca_file = source.ca_file.strip() or config.SOURCE_CA_FILE.value().strip()
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise Unavailable(f"{source.where}: the CA file {ca_file} does not exist")
    try:
        return ssl.create_default_context(cafile=str(Path(ca_file).expanduser()) if ca_file else None)
    except ssl.SSLError as exc:
        raise Unavailable(f"{source.where}: the CA file {ca_file} is not a PEM certificate ({exc.reason})") from None


def _untrusted(where: str, exc: ssl.SSLCertVerificationError) -> str:
    return (
        f"{where}: the server's certificate is not trusted ({exc.verify_message}); give its CA with --ca-file "
        f"or REFERLY_SOURCE_CA_FILE"
    )


def _lost(exc: BaseException) -> bool:
    return isinstance(exc, OSError | imaplib.IMAP4.abort)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip().rsplit("=>", 1)[-1].strip().strip("'\"")  # imaplib: "command: FETCH => why"
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text or type(exc).__name__


def _first(command: str) -> str:
    """The command's program, never its arguments (they may hold a secret)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else command
