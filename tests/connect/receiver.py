"""A real webhook receiver on loopback: it verifies each request with the reference `standardwebhooks` package.

It answers the statuses it is told to (one per request, then 204), can stall, and can be shut down and
brought back on the same port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    verified: Any  # the parsed body when the signature held and is fresh, None when not (or no secret was set)
    signed: bool  # the signature is the reference package's for this id, timestamp and body, however old


@dataclass
class Receiver:
    secret: str | None = None
    answers: list[int] = field(default_factory=list)
    stall: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/referly"

    def ids(self) -> list[str]:
        return [r.headers.get("webhook-id", "") for r in self.received]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, signed = None, False
                if receiver.secret is not None:
                    at = datetime.fromtimestamp(int(headers.get("webhook-timestamp", "0")), tz=UTC)
                    expected = Webhook(receiver.secret).sign(headers.get("webhook-id", ""), at, data)
                    signed = expected in headers.get("webhook-signature", "").split(" ")
                    try:
                        verified = Webhook(receiver.secret).verify(data, headers)
                    except WebhookVerificationError:
                        verified = None
                else:
                    verified = json.loads(data)
                receiver.received.append(Received(headers, data, verified, signed))
                if receiver.stall:
                    time.sleep(receiver.stall)
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@contextmanager
def receiving(secret: str | None = None) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
