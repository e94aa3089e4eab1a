"""One error hierarchy with a meaning a user understands.

Every edge renders it its own way: the CLI prints the sentence and exits with ``exit_code``, the API
answers ``{"error", "code", "field", "detail"}`` with ``http_status``, the web shows the sentence next
to the form field named by ``field``. ``code`` is stable: a program (or a page) branches on it, never
on the words, which may be reworded or translated. Anything that is not a ``ReferlyError`` is a bug
and may show a traceback; these never do.
"""

from __future__ import annotations


class ReferlyError(Exception):
    """An expected failure, worded for the person who caused or can fix it.

    ``field`` names the input it concerns (a form field, an option, a column) when there is one;
    ``code`` defaults to the error's kind when no finer one is given.
    """

    exit_code = 1
    http_status = 400
    kind = "error"

    def __init__(
        self, message: str, *, detail: str | None = None, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.field = field
        self.code = code or self.kind

    @property
    def sentence(self) -> str:
        """The message with its detail: what the CLI prints and a form shows next to ``field``."""
        return self.message if self.detail is None else f"{self.message} ({self.detail})"

    def __str__(self) -> str:
        return self.sentence


class InvalidInput(ReferlyError):
    """The input breaks a rule: a bad value, a missing field, a refused constraint."""

    exit_code = 2
    http_status = 422
    kind = "invalid_input"


class NotFound(ReferlyError):
    exit_code = 3
    http_status = 404
    kind = "not_found"


class Conflict(ReferlyError):
    """The request clashes with what is stored: a duplicate, a stale version, a forbidden transition."""

    exit_code = 4
    http_status = 409
    kind = "conflict"


class NotPermitted(ReferlyError):
    exit_code = 5
    http_status = 403
    kind = "not_permitted"


class Unavailable(ReferlyError):
    """Configuration or infrastructure we depend on is wrong or out of reach (database, files)."""

    exit_code = 6
    http_status = 503
    kind = "unavailable"
