"""Sending messages through the team's SMTP server (``REFERLY_SMTP_URL``), plain text with an HTML part.

``smtp://user:password@host:587`` upgrades to TLS (STARTTLS) whenever the server offers it, and refuses to go on
without it when the URL says ``?starttls=1``; ``smtps://`` is TLS from the first byte. The password may also come from
``REFERLY_SMTP_PASSWORD`` or the file ``REFERLY_SMTP_PASSWORD_FILE``. Headers are built by Python's e-mail package,
which encodes names and subjects, so a CR or LF in them cannot add a header (and ``compose`` refuses them anyway).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from referly import config
from referly.errors import InvalidInput, Unavailable


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps)
    starttls: bool
    user: str
    password: str


class Refused(Unavailable):
    """The server did not take a message: ``reply`` is its sentence; ``permanent`` when trying again cannot help
    (a 5xx answer to the recipient or the message itself)."""

    def __init__(self, message: str, reply: str, *, permanent: bool = False, code: str = "smtp_failed") -> None:
        super().__init__(message, code=code)
        self.reply = reply
        self.permanent = permanent


def server() -> Server:
    url = config.SMTP_URL.value().strip()
    if not url:
        raise Unavailable(f"No SMTP server is configured: set {config.SMTP_URL.name}", code="smtp_not_configured")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise Unavailable(f"{config.SMTP_URL.name} must be smtp://host:port or smtps://host:port", code="smtp_url")
    query = parse_qs(parts.query)
    return Server(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 587),
        tls=parts.scheme == "smtps",
        starttls=query.get("starttls", ["0"])[0] == "1",
        user=unquote(parts.username or ""),
        password=unquote(parts.password or "") or config.SMTP_PASSWORD.value() or _password_file(),
    )


def _password_file() -> str:
    path = config.SMTP_PASSWORD_FILE.path()
    if path is None:
        return ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise Unavailable(f"{config.SMTP_PASSWORD_FILE.name}: cannot read {path} ({exc.strerror})") from None
    return lines[0].strip() if lines else ""


def clean_header(value: str, field: str) -> str:
    if any(c in value for c in "\r\n\x00"):
        raise InvalidInput(f"A line break is not allowed in {field}", field=field, code="header_injection")
    return value


def one_line(value: str) -> str:
    """A name or subject on one line: line breaks and runs of spaces become one space."""
    return " ".join(value.replace("\x00", " ").split())


def compose(
    to: tuple[str, str],
    subject: str,
    text: str,
    html: str = "",
    reply_to: str = "",
    *,
    sender: str | tuple[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """The message, From ``sender`` (default: the team's address), with its own Message-ID unless one is given."""
    message = EmailMessage()
    if isinstance(sender, tuple):
        sender_name, sender_address = sender
        message["From"] = Address(
            display_name=clean_header(sender_name, "name"), addr_spec=clean_header(sender_address, "email")
        )
    else:
        sender_address = clean_header(sender or config.MAIL_FROM.value(), "email")
        message["From"] = sender_address
    name, address = to
    message["To"] = Address(display_name=clean_header(name, "name"), addr_spec=clean_header(address, "email"))
    message["Subject"] = clean_header(subject, "subject")
    if reply_to:
        message["Reply-To"] = clean_header(reply_to, "reply_to")
    message["Message-ID"] = clean_header(message_id, "message_id") if message_id else new_message_id(sender_address)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def new_message_id(sender: str) -> str:
    """A Message-ID on the domain of ``sender`` (an address, or a name and address)."""
    return make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "referly.invalid")


@contextmanager
def connected(timeout: float = 20.0) -> Iterator[smtplib.SMTP]:
    """A client logged in to the team's server (TLS as the URL says), for one or many messages; ``Refused`` with
    the server's sentence when it cannot be reached or refuses the login."""
    where = server()
    ca_file = config.SMTP_CA_FILE.path()
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    try:
        if where.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(where.host, where.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(where.host, where.port, timeout=timeout)
    except (smtplib.SMTPException, OSError) as exc:
        reply = _sentence(exc)
        raise Refused(f"Cannot reach the SMTP server {where.host}:{where.port}: {reply}", reply) from None
    try:
        client.ehlo()
        if not where.tls and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        elif not where.tls and where.starttls:
            reply = "the server offers no STARTTLS, which the URL requires"
            raise Refused(f"The SMTP server {where.host}: {reply}", reply, code="smtp_tls")
        if where.user:
            client.login(where.user, where.password)
    except (smtplib.SMTPException, OSError) as exc:
        _quit(client)
        reply = _sentence(exc)
        raise Refused(f"The SMTP server {where.host} refused us: {reply}", reply) from None
    try:
        yield client
    finally:
        _quit(client)


def hand_over(client: smtplib.SMTP, message: EmailMessage) -> None:
    """Send ``message`` on an open connection; ``Refused`` with the server's sentence when it is not taken."""
    try:
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()), (0, b""))
        sentence = f"{code} {_text(answer)}".strip()
        raise Refused(f"The SMTP server refused the recipient: {sentence}", sentence, permanent=code >= 500) from None
    except smtplib.SMTPResponseException as exc:
        sentence = f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()
        permanent = exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused)
        raise Refused(f"The SMTP server did not take the message: {sentence}", sentence, permanent=permanent) from None
    except (smtplib.SMTPException, OSError) as exc:
        said = _sentence(exc)
        raise Refused(f"The SMTP server did not take the message: {said}", said) from None


def send(message: EmailMessage, timeout: float = 20.0) -> str:
    """Hand ``message`` to the SMTP server; its Message-ID. ``Unavailable`` with the server's sentence on failure."""
    try:
        with connected(timeout) as client:
            hand_over(client, message)
    except Refused as exc:
        raise Unavailable(f"The SMTP server did not take the message: {exc.reply}", code="smtp_failed") from None
    return str(message["Message-ID"])


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
