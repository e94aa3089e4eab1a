"""DNS rebinding: a try resolves the receiver's name once, checks every address it got, and connects to those.

Only 127.0.0.1 is reachable here, so a name that changes its answer is made by answering for it in place of the
operating system's resolver (``socket.getaddrinfo``); the receivers, the connections and the TLS handshakes are
real.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from referly.connect import services
from referly.connect.addresses import destination
from referly.connect.models import Delivery, DeliveryState, Subscription
from referly.connect.sending import deliver_webhooks
from referly.errors import InvalidInput
from tests.connect.receiver import Receiver, receiving

pytestmark = pytest.mark.django_db

NAME = "hooks.rebinding.example"
PUBLIC = "93.184.215.14"  # a global address: only ever given to the check, never connected to here
REAL_GETADDRINFO = socket.getaddrinfo


class Resolver:
    """Answers for ``NAME`` from a script (each answer once, the last one for good); other names as usual."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != NAME:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.asked += 1
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def resolving(monkeypatch: pytest.MonkeyPatch, *answers: str) -> Resolver:
    resolver = Resolver(*answers)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def a_test_delivery(url: str) -> Subscription:
    made = services.subscribe(url, ["referral.created"], "standard", "en", timezone.now())
    services.queue_test(made.pk, timezone.now())
    return made


def the_try() -> tuple[int | None, str]:
    [attempt] = Delivery.objects.get().log.all()
    return attempt.status, attempt.error


def test_a_try_connects_to_the_address_it_resolved_never_to_a_second_answer(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver lives on 127.0.0.1
    # The first answer reaches the receiver; any later one points where nothing listens.
    resolver = resolving(monkeypatch, "127.0.0.1", "127.0.0.2")
    a_test_delivery(f"http://{NAME}:{receiver.port}/hooks/referly?team=north")
    assert deliver_webhooks(timezone.now)["delivered"] == 1
    assert resolver.asked == 1, "one resolution per try: the connection asks no resolver again"
    [got] = receiver.received
    assert got.headers["host"] == f"{NAME}:{receiver.port}", "the request still names the host"
    assert got.headers["webhook-id"].startswith("msg_test_")
    assert Delivery.objects.get().state == DeliveryState.DELIVERED


def test_a_name_pointed_at_a_private_address_after_it_was_added_is_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    resolver = resolving(monkeypatch, PUBLIC, "127.0.0.1")
    a_test_delivery(f"http://{NAME}:{receiver.port}/hooks/referly")  # checked when added: public
    tally = deliver_webhooks(timezone.now)
    assert (tally["delivered"], tally["retry"]) == (0, 1)
    assert resolver.asked == 2, "once when added, once for the try"
    status, error = the_try()
    assert status is None and "private, loopback or link-local address (127.0.0.1)" in error
    assert receiver.received == [], "nothing reached the private address"


def test_the_check_hands_over_the_addresses_it_approved_and_a_rebound_name_cannot_change_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolver = resolving(monkeypatch, PUBLIC, "127.0.0.1")
    where = destination(f"https://{NAME}/in?x=1")
    assert (where.host, where.port, where.target, where.addresses) == (NAME, 443, "/in?x=1", (PUBLIC,))
    assert resolver.asked == 1
    with pytest.raises(InvalidInput, match=r"127\.0\.0\.1"):  # the rebound answer, at the next check
        destination(f"https://{NAME}/in?x=1")


def test_every_address_of_an_answer_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))
            for address in (PUBLIC, "10.0.0.7")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.7"):
        destination(f"https://{NAME}/in")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert, pem = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, pem


def test_over_tls_the_pinned_connection_names_the_host_and_checks_its_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")
    resolving(monkeypatch, "127.0.0.1")
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    named: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: named.append(name)  # type: ignore[assignment,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_once() -> None:
        connection, _ = listener.accept()
        try:
            context.wrap_socket(connection, server_side=True).close()
        except (ssl.SSLError, OSError):
            connection.close()  # the client refused our self-signed certificate, as it must

    server = threading.Thread(target=serve_once, daemon=True)
    server.start()
    try:
        a_test_delivery(f"https://{NAME}:{port}/hooks")
        deliver_webhooks(timezone.now)
    finally:
        server.join(timeout=10)
        listener.close()
    assert named == [NAME], "the TLS handshake carried the name (SNI), not the address"
    status, error = the_try()
    assert status is None and "CERTIFICATE_VERIFY_FAILED" in error, "the certificate is checked against the name"
