"""Signing a delivery the Standard Webhooks way (https://www.standardwebhooks.com, "Signature scheme").

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is HMAC-SHA256 with the
secret's key, base64-encoded and prefixed ``v1,``. Secrets are ``whsec_`` followed by the base64 of 32 random
bytes. Pure: the time is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signature_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers a receiver verifies: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode("ascii"),
    }
