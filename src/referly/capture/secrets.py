"""A source's password, encrypted at rest: Fernet (AES-128-CBC with an HMAC-SHA256), under a key derived
from the deployment's secret key with HKDF-SHA256.

Changing ``REFERLY_SECRET_KEY`` (or losing the key file beside the SQLite database) makes the stored
passwords unreadable: each source must then be added again. The plain password is never stored, logged,
or put in a job's record or a command's output.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from referly.capture.models import Source
from referly.errors import Unavailable

# Fixed: a new value would make every stored password unreadable.
_INFO = b"referly capture source secret v1"


def _fernet() -> Fernet:
    from django.conf import settings

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of ``token``; ``InvalidToken`` when it was made under another key or altered."""
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def password_of(source: Source) -> str:
    """The source's password in plain text, for the moment of a login; never keep it."""
    if not source.secret:
        raise Unavailable(f"source {source.pk} has no stored password (it logs in with an OAuth2 token command)")
    try:
        return decrypt(source.secret)
    except (InvalidToken, ValueError):
        raise Unavailable(
            f"source {source.pk}: the stored password cannot be decrypted (the secret key changed since it was "
            f"added): remove the source and add it again"
        ) from None
