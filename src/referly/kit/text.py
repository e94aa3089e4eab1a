"""Sentences built from names: a name that ends in a full stop ("Acme S.A.") ends the sentence once."""

from __future__ import annotations

import re

_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.$")


def one_stop(sentence: str) -> str:
    """``sentence`` with a doubled final full stop made single; an ellipsis ("...") is left as it is."""
    return _DOUBLED_STOP.sub(".", sentence)
