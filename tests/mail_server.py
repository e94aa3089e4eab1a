"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the tests of messages Referly sends.

``smtp_server()`` is plain SMTP; ``smtp_server(tls_folder=..., users={...})`` offers STARTTLS with a self-signed
certificate made here and requires it, and a login (AUTH PLAIN/LOGIN) over it. ``Inbox.hold`` makes the server keep
a message (it is received) without answering until released, as a slow server between DATA and its "250 OK".
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    ca_file: Path | None = None
    refuse_data: str = ""  # e.g. "451 4.3.0 Try again later": every message is refused with it
    hold: threading.Event = field(default_factory=threading.Event)  # set: answer DATA only once released
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)  # set once a message is being held
    logins: int = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def url_for(self, user: str, password: str | None = None) -> str:
        secret = self.users[user] if password is None else password
        return f"smtp://{user}:{secret}@127.0.0.1:{self.port}?starttls=1"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def with_id(self, message_id: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["Message-ID"]) == message_id]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        del server, session
        if self.refuse_data:
            return self.refuse_data
        self.raw.append(bytes(envelope.content))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        if self.hold.is_set():
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        del server, session, envelope, mechanism
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                self.logins += 1
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(tls_folder: Path | None = None, users: dict[str, str] | None = None) -> Iterator[Inbox]:
    """The server; with ``tls_folder``: STARTTLS required (its CA in ``Inbox.ca_file``) and a login with ``users``."""
    inbox = Inbox(port=_free_port(), users=dict(users or {}))
    options: dict[str, Any] = {}
    if tls_folder is not None:
        from tests.capture.dovecot import self_signed

        cert, key = self_signed(tls_folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        inbox.ca_file = cert
        options = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": inbox.authenticate,
            "auth_required": bool(inbox.users),
            "auth_require_tls": True,
        }
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    try:
        yield inbox
    finally:
        inbox.release.set()
        controller.stop()
