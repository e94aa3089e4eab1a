"""Where a webhook may be sent: never to this machine or a private network, unless the deployment allows it.

A subscription URL is checked when it is added and again before every try, on the addresses its host
resolves to then (a name may be pointed at 127.0.0.1 after it was checked).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from referly import config
from referly.errors import InvalidInput


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL to a public address (or any address with the setting on)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL", field="url", code="webhook_url")
    if config.WEBHOOK_ALLOW_PRIVATE.on():
        return url.strip()
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput(f"The host of {url} does not resolve", field="url", code="webhook_url_unresolved") from None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise InvalidInput(
                f"{url} points to a private, loopback or link-local address ({ip})",
                detail=f"set {config.WEBHOOK_ALLOW_PRIVATE.name}=1 for receivers on your own network",
                field="url",
                code="webhook_url_private",
            )
    return url.strip()
