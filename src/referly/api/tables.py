"""Tables for analysts over the API: the tables of `referly export tables`, listed, and read a page at a time.

For the roles that import the company's data (admins and managers), with any token scope; others get 403.
People's names, e-mails, phones and titles, and free-text notes, are in the rows unless ``personal_data=false``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params import functions as params

from referly.api.auth import actor
from referly.api.schemas import MAX_LIMIT, MAX_OFFSET, READ, READ_ONE
from referly.connect.table_schemas import TABLES, TableSpec
from referly.connect.tables import (
    consistent_read,
    count_rows,
    latest_run_id,
    read_page,
    require_tables,
    spec_named,
)

router = Router(tags=["tables"])


class ColumnOut(Schema):
    name: str
    type: str = Field(..., description="The Arrow type, as in the export's manifest: int64, string, timestamp...")
    meaning: str
    personal: bool = Field(..., description="A pseudonym or null without personal data.")


class TableOut(Schema):
    name: str
    meaning: str
    columns: list[ColumnOut]
    count: int = Field(..., description="Rows in the table now.")


class RowsOut(Schema):
    table: str
    meaning: str
    columns: list[ColumnOut]
    count: int = Field(..., description="Rows in the whole table, not just this page.")
    personal_data: bool = Field(..., description="Whether these rows carry personal data or pseudonyms.")
    items: list[dict[str, Any]] = Field(..., description="The page's rows, in the table's order.")


class RowsQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT} rows a page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    personal_data: bool = Field(
        True,
        description="false: pseudonyms instead of people's names, e-mails, phones and titles, and no notes.",
    )


def columns_of(spec: TableSpec) -> list[ColumnOut]:
    return [
        ColumnOut(name=c.name, type=str(c.type), meaning=c.meaning, personal=c.personal is not None or c.free_text)
        for c in spec.columns
    ]


@router.get("", response={200: list[TableOut], **READ}, summary="List the tables for analysts")
def list_tables(request: HttpRequest) -> list[TableOut]:
    require_tables(actor(request))
    with consistent_read():
        run_id = latest_run_id()
        return [
            TableOut(name=spec.name, meaning=spec.meaning, columns=columns_of(spec), count=count_rows(spec, run_id))
            for spec in TABLES
        ]


@router.get("/{name}", response={200: RowsOut, **READ_ONE}, summary="Read a page of one table")
def table_rows(request: HttpRequest, query: Query[RowsQuery], name: str = params.Path(..., max_length=64)) -> RowsOut:
    """Rows in the order of the export (see docs/connect-tables.md), paged by the database."""
    require_tables(actor(request))
    spec = spec_named(name)
    personal_data = query.personal_data
    with consistent_read():
        run_id = latest_run_id()
        count = count_rows(spec, run_id)
        page = read_page(
            spec,
            run_id,
            limit=query.limit,
            offset=query.offset,
            personal_data=personal_data,
            secret=str(settings.SECRET_KEY),
        )
    return RowsOut(
        table=spec.name,
        meaning=spec.meaning,
        columns=columns_of(spec),
        count=count,
        personal_data=personal_data,
        items=page.to_pylist(),
    )
