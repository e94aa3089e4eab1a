"""Sending one message through the team's SMTP server (``REFERLY_SMTP_URL``), plain text with an HTML part.

``smtp://user:password@host:587`` upgrades to TLS (STARTTLS) whenever the server offers it, and refuses to go on
without it when the URL says ``?starttls=1``; ``smtps://`` is TLS from the first byte. The password may also come from
``REFERLY_SMTP_PASSWORD``. Headers are built by Python's e-mail package, which encodes names and subjects, so a
CR or LF in them cannot add a header.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
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
        password=unquote(parts.password or "") or config.SMTP_PASSWORD.value(),
    )


def clean_header(value: str, field: str) -> str:
    if any(c in value for c in "\r\n\x00"):
        raise InvalidInput(f"A line break is not allowed in {field}", field=field, code="header_injection")
    return value


def compose(to: tuple[str, str], subject: str, text: str, html: str = "", reply_to: str = "") -> EmailMessage:
    """The message, From the team's address, with its own Message-ID."""
    message = EmailMessage()
    sender = config.MAIL_FROM.value()
    message["From"] = sender
    name, address = to
    message["To"] = Address(display_name=clean_header(name, "name"), addr_spec=clean_header(address, "email"))
    message["Subject"] = clean_header(subject, "subject")
    if reply_to:
        message["Reply-To"] = clean_header(reply_to, "reply_to")
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "referly.invalid")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage, timeout: float = 20.0) -> str:
    """Hand ``message`` to the SMTP server; its Message-ID. ``Unavailable`` with the server's sentence on failure."""
    where = server()
    context = ssl.create_default_context(cafile=str(config.SMTP_CA_FILE.path()) if config.SMTP_CA_FILE.path() else None)
    try:
        if where.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(where.host, where.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(where.host, where.port, timeout=timeout)
        with client:
            client.ehlo()
            if not where.tls and client.has_extn("starttls"):
                client.starttls(context=context)
            elif not where.tls and where.starttls:
                raise Unavailable("The SMTP server offers no STARTTLS, which the URL requires", code="smtp_tls")
            if where.user:
                client.login(where.user, where.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise Unavailable(f"The SMTP server did not take the message: {exc}", code="smtp_failed") from None
    return str(message["Message-ID"])
