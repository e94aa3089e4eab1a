"""What every router shares: the error body, documented error answers, pagination, ids and safe text."""

from datetime import UTC, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.params import functions as params
from pydantic import AfterValidator

MAX_ID = 2**53  # ids above this exist in no table (and overflow SQLite's integers)
MAX_LIMIT = 500
MAX_OFFSET = 10**9


class Error(Schema):
    """Every failure: ``error`` and ``code`` are words a program branches on, ``detail`` says what went wrong."""

    error: str = Field(..., description="not_authenticated, not_permitted, not_found, conflict, invalid_input, ...")
    code: str = Field(..., description="A finer reason, as stable: stale_version, consent_required, ... (or error).")
    field: str | None = Field(None, description="The input the error concerns, when there is one.")
    detail: Any = Field(None, description="A sentence, or for invalid_input the list of refused fields or rows.")


# The error answers each kind of endpoint documents (the OpenAPI lists them, so clients can rely on them).
READ = {401: Error, 403: Error, 422: Error}
READ_ONE = {**READ, 404: Error}
WRITE = {**READ_ONE, 400: Error, 409: Error}  # 400: a body that is not JSON (or not multipart)


class Paged(LimitOffsetPagination):
    """Limit/offset pagination whose limit is capped; the slice runs in SQL."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT} items a page.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Text a client sends: never a NUL (PostgreSQL refuses it), never a novel.
Text = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=255), AfterValidator(_no_nul)]


def _reasonable(value: datetime) -> datetime:
    if not 1900 <= value.year <= 9000:
        raise ValueError("must be between the years 1900 and 9000")
    # In UTC: PostgreSQL refuses offsets beyond ±15:59, which Python's datetimes allow (up to ±23:59).
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A time a client filters on: UTC unless it says otherwise, and within years the database can store.
Moment = Annotated[datetime, AfterValidator(_reasonable)]


class Written(Schema):
    """What a bulk write or an import did."""

    created: int
    updated: int
    unchanged: int
    duplicates: int = Field(..., description="Rows repeating an earlier row of the same request.")


class RowProblem(Schema):
    row: int = Field(..., description="The row's index in the request (0-based), or its line in a file.")
    field: str
    value: str = ""
    reason: str


def path_id() -> Any:
    """A record's id in a path: a positive whole number (larger ones name nothing, so they are refused)."""
    return params.Path(..., ge=1, le=MAX_ID)
