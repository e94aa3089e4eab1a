"""Natural keys: the canonical forms that make two spellings of one e-mail, domain or company equal."""

from __future__ import annotations

import re
import unicodedata

_COMPANY_SUFFIXES = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|llc|ltd|limited|plc|gmbh|ag|sa|sas|sarl|bv|nv|srl|spa|oy|ab)\b\.?",
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_HOST_END = re.compile(r"[/?#:\s]")
_WWW = re.compile(r"^(?:www\.)+")


def email(value: str) -> str:
    """Trimmed and lower-cased; 'Jane.Doe@Acme.COM ' and 'jane.doe@acme.com' are one contact."""
    return value.strip().lower()


def domain(value: str) -> str:
    """A bare host name, no scheme, 'www.', path, port or case: 'https://www.Acme.com/x' -> 'acme.com'."""
    host = _SCHEME.sub("", value.strip().lower())
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    host = _HOST_END.split(host, maxsplit=1)[0].rstrip(".")
    return _WWW.sub("", host)


def ascii_fold(value: str) -> str:
    """'Hélène Müller' -> 'Helene Muller'."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


def company_key(value: str) -> str:
    """A company name without case, accents, punctuation or legal suffix ('Acme, Inc.' -> 'acme')."""
    words = _NON_WORD.sub(" ", ascii_fold(value).lower().replace("&", " and "))  # 'acme_oy' is 'acme oy'
    return " ".join(_COMPANY_SUFFIXES.sub(" ", words).split())
