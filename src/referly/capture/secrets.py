"""A source's password, encrypted at rest: Fernet (AES-128-CBC with an HMAC-SHA256), under a key derived
from the deployment's secret key with HKDF-SHA256 (``referly.kit.sealing``).

Changing ``REFERLY_SECRET_KEY`` (or losing the key file beside the SQLite database) makes the stored
passwords unreadable: each source must then be added again. The plain password is never stored, logged,
or put in a job's record or a command's output.
"""

from __future__ import annotations

from referly.capture.models import Source
from referly.errors import Unavailable
from referly.kit.sealing import InvalidToken, seal, unseal

# Fixed: a new value would make every stored password unreadable.
_INFO = b"referly capture source secret v1"


def encrypt(plain: str) -> str:
    return seal(plain, _INFO)


def decrypt(token: str) -> str:
    """The plain text of ``token``; ``InvalidToken`` when it was made under another key or altered."""
    return unseal(token, _INFO)


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
