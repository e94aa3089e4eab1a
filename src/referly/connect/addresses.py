"""Where a webhook may be sent: never to this machine or a private network, unless the deployment allows it.

A subscription URL is checked when it is added and again before every try, on the addresses its host
resolves to then (a name may be pointed at 127.0.0.1 after it was checked). A try resolves the name once:
the addresses checked are the ones it connects to (``destination``), so a name whose answer changes between
the check and the connection (DNS rebinding) cannot lead it to a private address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from referly import config
from referly.errors import InvalidInput


@dataclass(frozen=True)
class Destination:
    """A checked URL: its parts, and the addresses its host resolved to when it was checked."""

    scheme: str
    host: str
    port: int
    target: str  # the path and query sent in the request line
    addresses: tuple[str, ...]


def destination(url: str) -> Destination:
    """``url`` resolved once and checked: public addresses only (any address with the setting on)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL", field="url", code="webhook_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise InvalidInput(f"The host of {url} does not resolve", field="url", code="webhook_url_unresolved") from None
    addresses = tuple(dict.fromkeys(str(address[0]) for *_, address in found))
    if not config.WEBHOOK_ALLOW_PRIVATE.on():
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global:
                raise InvalidInput(
                    f"{url} points to a private, loopback or link-local address ({ip})",
                    detail=f"set {config.WEBHOOK_ALLOW_PRIVATE.name}=1 for receivers on your own network",
                    field="url",
                    code="webhook_url_private",
                )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port, target, addresses)


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL to a public address (or any address with the setting on)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL", field="url", code="webhook_url")
    if config.WEBHOOK_ALLOW_PRIVATE.on():
        return url.strip()  # a receiver on the team's own network may not resolve from here yet
    destination(url)
    return url.strip()
