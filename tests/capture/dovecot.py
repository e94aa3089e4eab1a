"""A real Dovecot IMAP server on loopback, for the tests of mailbox sources.

It runs in the foreground (``dovecot -F -c CONF``) with a throwaway configuration: users in a passwd
file, mail in a temporary Maildir, TLS required with a self-signed certificate made here (IMAPS, and
STARTTLS on the plain port), and OAuth2 logins (XOAUTH2, OAUTHBEARER) checked against a small token
introspection server started beside it. Run by root, its processes take Dovecot's own users (mail
access as root is refused); run by anyone else, everything runs as that user.
"""

from __future__ import annotations

import grp
import hashlib
import ipaddress
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from imapclient import IMAPClient  # type: ignore[import-untyped]

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
DEFAULT_MECHANISMS = ("plain", "login", "xoauth2", "oauthbearer")


def available() -> bool:
    return Path(DOVECOT).is_file() and Path(DOVEADM).is_file()


def need_dovecot() -> None:
    """Skip the test when Dovecot is not installed; in CI (which installs it, .ci/run) fail instead."""
    import pytest

    if available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("dovecot is missing; CI installs dovecot-imapd (.ci/run)")
    pytest.skip("dovecot is not installed (Debian: apt-get install dovecot-imapd)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key: the certificate is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Referly test IMAP server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file.chmod(0o644)
    return cert_file, key_file


@dataclass(frozen=True)
class Identities:
    """Who Dovecot's processes run as, and who owns the mail."""

    internal: str
    internal_group: str
    login: str
    mail_uid: int
    mail_gid: int

    @classmethod
    def here(cls) -> Identities:
        if os.geteuid() != 0:
            me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            return cls(me, group, me, os.getuid(), os.getgid())
        internal = "dovecot" if _user_exists("dovecot") else "nobody"
        login = "dovenull" if _user_exists("dovenull") else "nobody"
        nobody = pwd.getpwnam("nobody")
        return cls(internal, grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name, login, nobody.pw_uid, nobody.pw_gid)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class TokenIntrospection:
    """An OAuth2 token introspection endpoint (RFC 7662) on loopback: ``tokens`` maps a token to its user."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.asked: list[str] = []
        tokens, asked = self.tokens, self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("token") or [""])[0]
                asked.append(token)
                user = tokens.get(token)
                answer = {"active": True, "username": user} if user else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/introspect"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Dovecot:
    folder: Path
    mechanisms: tuple[str, ...] = DEFAULT_MECHANISMS
    users: dict[str, str] = field(default_factory=dict)
    imaps_port: int = 0
    imap_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.ids = Identities.here()
        self.oauth = TokenIntrospection()
        self.ca_file, self.key_file = self_signed(self.folder)
        self.mail = self.folder / "mail"
        self.mail.mkdir()
        os.chown(self.mail, self.ids.mail_uid, self.ids.mail_gid)
        self.imaps_port, self.imap_port = free_port(), free_port()
        self.config = self.folder / "dovecot.conf"

    # --- the server -------------------------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        self.users[user] = password
        passwd = self.folder / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        passwd.chmod(0o644)

    def start(self) -> None:
        """Start (or start again) and wait until it answers on both ports."""
        self._write_config()
        log = (self.folder / "dovecot.out").open("ab")
        # A session of its own: stopping ends every process of this server, and only those.
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)], stdout=log, stderr=log, start_new_session=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log_tail()}")
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer within 20 s: {self.log_tail()}")

    def stop(self) -> None:
        """Stop the server and cut off its clients (an IMAP process outlives its master for a while, serving
        the connection it has: it is killed); the mail stays for the next start."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self._answers() and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.stop()
        self.oauth.close()

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("dovecot.out", "dovecot.log"):
            path = self.folder / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _answers(self) -> bool:
        for port in (self.imaps_port, self.imap_port):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    pass
            except OSError:
                return False
        return True

    def _write_config(self) -> None:
        d, ids = self.folder, self.ids
        (d / "dovecot-oauth2.conf.ext").write_text(
            f"introspection_mode = post\nintrospection_url = {self.oauth.url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        oauth2 = [m for m in self.mechanisms if m in ("xoauth2", "oauthbearer")]
        passdb_oauth2 = (
            f"passdb {{\n  driver = oauth2\n  mechanisms = {' '.join(oauth2)}\n"
            f"  args = {d}/dovecot-oauth2.conf.ext\n}}\n"
            if oauth2
            else ""
        )
        self.config.write_text(
            f"""base_dir = {d}/run
state_dir = {d}/state
instance_name = referly-test-{self.imaps_port}
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {ids.internal}
default_internal_group = {ids.internal_group}
default_login_user = {ids.login}
first_valid_uid = {ids.mail_uid}
first_valid_gid = {ids.mail_gid}
ssl = required
ssl_cert = <{self.ca_file}
ssl_key = <{self.key_file}
disable_plaintext_auth = yes
auth_mechanisms = {" ".join(self.mechanisms)}
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
{passdb_oauth2}userdb {{
  driver = static
  args = uid={ids.mail_uid} gid={ids.mail_gid} home={self.mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
"""
        )

    # --- what a test does to the mailboxes ----------------------------------------------------------------

    @contextmanager
    def client(self, user: str) -> Iterator[Any]:
        """A logged-in IMAP connection (TLS) for ``user``."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        imap = IMAPClient("127.0.0.1", port=self.imaps_port, ssl=True, ssl_context=context, timeout=30)
        try:
            imap.login(user, self.users[user])
            yield imap
        finally:
            imap.logout()

    def append(self, user: str, folder: str, messages: Iterable[bytes]) -> None:
        """Put ``messages`` in the folder (made if missing), in one connection and few commands."""
        chunk: list[bytes] = []
        with self.client(user) as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            for message in messages:
                chunk.append(message)
                if len(chunk) == 500:
                    imap.multiappend(folder, chunk)
                    chunk = []
            if chunk:
                imap.multiappend(folder, chunk)

    def uid_validity(self, user: str, folder: str) -> int:
        with self.client(user) as imap:
            return int(imap.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def change_uid_validity(self, user: str, folder: str) -> int:
        """Give the folder a new UIDVALIDITY (its messages and UIDs stay): a client must read it again."""
        new = self.uid_validity(user, folder) - 1000
        subprocess.run(
            [DOVEADM, "-c", str(self.config), "mailbox", "update", "-u", user, "--uid-validity", str(new), folder],
            check=True,
            capture_output=True,
        )
        return new


@contextmanager
def running_dovecot(mechanisms: tuple[str, ...] = DEFAULT_MECHANISMS) -> Iterator[Dovecot]:
    """A started server with the user alice@example.com (password "alice-secret") and the OAuth2 token
    "alice-token"; removed with its mail at the end."""
    # Not in pytest's tmp_path: when run by root the server's unprivileged users must reach these files.
    folder = Path(tempfile.mkdtemp(prefix="referly-dovecot-"))
    folder.chmod(0o755)
    server = Dovecot(folder, mechanisms)
    try:
        server.add_user("alice@example.com", "alice-secret")
        server.oauth.tokens["alice-token"] = "alice@example.com"
        server.start()
        yield server
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


def message(
    sender: str, to: str, at: datetime, *, subject: str = "Hello", message_id: str = "", extra: str = ""
) -> bytes:
    """A small RFC 5322 message."""
    mid = message_id or f"<{hashlib.sha1(f'{sender} {to} {at} {subject}'.encode()).hexdigest()}@test.example>"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {at:%a, %d %b %Y %H:%M:%S +0000}\r\n"
        f"Message-ID: {mid}\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHi.\r\n"
    ).encode()


def inbox_source(
    server: Dovecot, now: datetime, user: str = "alice@example.com", password: str = "alice-secret"
) -> Any:
    """A Referly IMAP source reading ``user``'s INBOX over TLS on ``server``, owned by the teammate ``user``."""
    from referly.capture.sources import add_imap_source

    return add_imap_source(
        host="127.0.0.1",
        port=server.imaps_port,
        security="tls",
        username=user,
        password=password,
        token_command="",
        folders=["INBOX"],
        owner_email=user,
        ca_file=str(server.ca_file),
        now=now,
    )
