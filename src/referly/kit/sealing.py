"""Secrets kept at rest, sealed: Fernet (AES-128-CBC with an HMAC-SHA256) under a key derived from the
deployment's secret key with HKDF-SHA256, one key per purpose.

The purpose (HKDF's ``info``) is fixed by each caller and must never change: a new one would make every
value sealed under the old one unreadable, as would a new ``REFERLY_SECRET_KEY``.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "seal", "unseal"]


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _current(purpose: bytes) -> Fernet:
    from django.conf import settings

    return _fernet(str(settings.SECRET_KEY), purpose)


def seal(plain: str, purpose: bytes) -> str:
    """``plain`` encrypted and authenticated, as ASCII text (a new random IV each time)."""
    return _current(purpose).encrypt(plain.encode("utf-8")).decode("ascii")


def unseal(token: str, purpose: bytes) -> str:
    """The plain text of ``token``; ``InvalidToken`` when it was sealed under another key or purpose, or altered."""
    return _current(purpose).decrypt(token.encode("ascii")).decode("utf-8")
