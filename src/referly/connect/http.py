"""The HTTP request of one try: a POST that follows no redirect, with a timeout, to a checked address.

The host is resolved once, by the check (``addresses.destination``), and the connection goes to the addresses
it approved, never to a second answer of the resolver: the request still names the host (``Host`` header, and
over TLS the SNI and the certificate checked against it).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time

from referly import config
from referly.connect.addresses import Destination, destination
from referly.connect.services import Answer, Request
from referly.errors import ReferlyError

READ_AT_MOST = 65_536


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers (no name is resolved here)."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            failure = exc
    raise failure or OSError(f"no address to connect to on port {port}")


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to the checked addresses of its host."""

    def __init__(self, where: Destination, timeout: float) -> None:
        super().__init__(where.host, where.port, timeout=timeout)
        self.addresses, self.seconds = where.addresses, timeout

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.seconds)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to the checked addresses of its host, the certificate checked against the host."""

    def __init__(self, where: Destination, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(where.host, where.port, timeout=timeout, context=self.tls)
        self.addresses, self.seconds = where.addresses, timeout

    def connect(self) -> None:
        self.sock = self.tls.wrap_socket(_connect(self.addresses, self.port, self.seconds), server_hostname=self.host)


def post(request: Request) -> Answer:
    """Send ``request``; its answer's status, or why none came. Never raises for the receiver's faults.

    A redirect is an answer like any other (a failed try), never followed to another address."""
    started = time.perf_counter()
    try:
        where = destination(request.url)
        timeout = config.WEBHOOK_TIMEOUT.count("seconds")
        connection = (_PinnedHTTPS if where.scheme == "https" else _PinnedHTTP)(where, timeout)
        try:
            connection.request("POST", where.target, request.body.encode(), request.headers)
            answer = connection.getresponse()
            answer.read(READ_AT_MOST)
            error = "" if 200 <= answer.status < 300 else answer.reason
            return Answer(answer.status, time.perf_counter() - started, error)
        finally:
            connection.close()
    except ReferlyError as exc:
        return Answer(None, time.perf_counter() - started, exc.sentence)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Answer(None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
