"""Tables for analysts: the system of record as Arrow tables, written as Parquet, CSV or one DuckDB file.

Every table's schema (column names, Arrow types and meanings) is declared once, in ``TABLES``
(``referly.connect.table_schemas``); the export, the manifest, the API's ``/tables``, the Reports page's
download and docs/connect-tables.md all follow it. Rows are read in bulk with SQL (``fetch_table``), one
query per table (or per page of one: ``read_page``), and cast to the declared types by Arrow, never row
by row.

Without personal data (``personal_data=False``) the names, e-mails, phones and titles of people
(contacts and teammates) become stable pseudonyms, keyed HMAC-SHA256 of the value with the
installation's secret key, and free-text notes are emptied (NULL): same value, same pseudonym, from
one export to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from referly.access.roles import Permission, allows
from referly.connect.table_schemas import TABLES, Personal, TableSpec
from referly.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unavailable

if TYPE_CHECKING:
    from referly.access.services import Actor

Format = Literal["parquet", "csv", "duckdb"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "duckdb")
DUCKDB_FILE = "referly.duckdb"
MANIFEST_FILE = "manifest.json"

PSEUDONYM_PREFIX: dict[Personal, str] = {"name": "person", "email": "email", "phone": "phone", "title": "title"}
PSEUDONYM_HEX = 16
"""Hex digits kept of the HMAC: 64 bits, so a million distinct values collide with odds under 1 in 30 million."""


@dataclass
class Export:
    """The tables read at one moment, and what the manifest says of them."""

    as_of: datetime
    personal_data: bool
    tables: dict[str, pa.Table]
    run: dict[str, Any] | None = None


def require_tables(who: Actor) -> None:
    """The tables (API ``/tables``, the Reports page's zip) hold every owner's records with people's details:
    for the roles that import the company's data (admins, managers), with any token scope, since reading
    them writes nothing."""
    who.require(Permission.READ)
    if not allows(who.role, Permission.IMPORT):
        raise NotPermitted("Not permitted: the tables for analysts are for admins and managers", code="tables_denied")


# --- pseudonyms -------------------------------------------------------------------------------------


def pseudonym_key(secret: str) -> bytes:
    """The HMAC key of the pseudonyms, derived from the installation's secret key (never the secret itself)."""
    return hmac.new(secret.encode(), b"referly.connect.tables.pseudonym", hashlib.sha256).digest()


def pseudonym(value: str, key: bytes, kind: Personal = "name") -> str:
    """A stable stand-in for ``value``: ``person-`` (or ``email-``...) and 16 hex digits of its keyed HMAC-SHA256.

    Empty stays empty: there is nothing to hide, and an analyst can still count missing values.
    """
    if value == "":
        return ""
    digest = hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX[kind]}-{digest[:PSEUDONYM_HEX]}"


def pseudonymize(values: pa.Array | pa.ChunkedArray, key: bytes, kind: Personal) -> pa.Array:
    """``pseudonym`` of every value, computed once per distinct value (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    replaced = pa.array([pseudonym(v, key, kind) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(replaced, encoded.indices)


# --- reading ----------------------------------------------------------------------------------------


@contextmanager
def consistent_read() -> Iterator[None]:
    """One snapshot for every table: a read-only repeatable-read transaction on PostgreSQL, one transaction on SQLite.

    Inside a transaction already open (a test's, a job's), it reads in that one.
    """
    from django.db import connection, transaction

    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def spec_named(name: str) -> TableSpec:
    """The declared table called ``name``; ``NotFound`` (field ``name``) for any other."""
    for spec in TABLES:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in TABLES)
    raise NotFound(f"No table called {name[:64]!r}: the tables are {known}", field="name", code="unknown_table")


def _where(spec: TableSpec, run_id: int | None) -> str:
    where = spec.where
    if where:
        where = "1 = 0" if run_id is None else where.format(run=int(run_id))
    return f" WHERE {where}" if where else ""


def table_sql(spec: TableSpec, run_id: int | None, *, limit: int | None = None, offset: int = 0) -> str:
    """The one query of a table (a page of it with ``limit``); a table of the latest score run is empty before any run.

    Every table's order ends on a unique key, so pages neither repeat nor skip rows.
    """
    columns = ", ".join(c.select for c in spec.columns)
    sql = f"SELECT {columns} FROM {spec.source}{_where(spec, run_id)} ORDER BY {spec.order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return sql


def count_sql(spec: TableSpec, run_id: int | None) -> str:
    """How many rows the table has, counted by the database."""
    return f"SELECT COUNT(*) FROM {spec.source}{_where(spec, run_id)}"


def conform(raw: pa.Table, spec: TableSpec) -> pa.Table:
    """The rows as the declared schema: each column cast by Arrow to its declared type."""
    arrays = []
    for column, values in zip(spec.columns, raw.columns, strict=True):
        if values.type == pa.null():
            arrays.append(pa.nulls(len(values), column.type))
        elif values.type != column.type:
            arrays.append(pc.cast(values, column.type))
        else:
            arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def without_personal_data(table: pa.Table, spec: TableSpec, key: bytes) -> pa.Table:
    """People's names, e-mails, phones and titles as pseudonyms; free-text notes NULL. The schema stays the same."""
    for i, column in enumerate(spec.columns):
        if column.personal is not None:
            table = table.set_column(i, table.schema.field(i), pseudonymize(table.column(i), key, column.personal))
        elif column.free_text:
            table = table.set_column(i, table.schema.field(i), pa.nulls(table.num_rows, column.type))
    return table


def read_table(spec: TableSpec, run_id: int | None, *, limit: int | None = None, offset: int = 0) -> pa.Table:
    """The table's rows (one page of them with ``limit``: the database skips and stops), as the declared schema."""
    from referly.scoring.store import fetch_table

    raw = fetch_table(table_sql(spec, run_id, limit=limit, offset=offset), [c.name for c in spec.columns])
    return conform(raw, spec)


def count_rows(spec: TableSpec, run_id: int | None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(count_sql(spec, run_id))
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def latest_run_id() -> int | None:
    """The id of the score run the run tables come from; None before any run."""
    from referly.scoring.queries import latest_run

    run = latest_run()
    return None if run is None else int(run.pk)


def read_page(
    spec: TableSpec, run_id: int | None, *, limit: int, offset: int, personal_data: bool, secret: str = ""
) -> pa.Table:
    """One page of a table as ``build_export`` gives it; without personal data, pseudonyms keyed with ``secret``."""
    if not personal_data and not secret:
        raise InvalidInput("Pseudonyms need the installation's secret key", code="no_secret_key")
    table = read_table(spec, run_id, limit=limit, offset=offset)
    return table if personal_data else without_personal_data(table, spec, pseudonym_key(secret))


def build_export(now: datetime, *, personal_data: bool = True, secret: str = "") -> Export:
    """Every table of ``TABLES`` as of ``now``; without personal data, pseudonyms keyed with ``secret``.

    Reads only: call it inside ``consistent_read()`` so that every table comes from the same moment.
    """
    from referly.scoring.queries import latest_run

    if not personal_data and not secret:
        raise InvalidInput("Pseudonyms need the installation's secret key", code="no_secret_key")
    run = latest_run()
    key = pseudonym_key(secret) if not personal_data else b""
    tables: dict[str, pa.Table] = {}
    for spec in TABLES:
        table = read_table(spec, run.pk if run is not None else None)
        tables[spec.name] = table if personal_data else without_personal_data(table, spec, key)
    described = None
    if run is not None:
        described = {"id": run.pk, "as_of": run.as_of.isoformat(), "started_at": run.started_at.isoformat()}
    return Export(as_of=now, personal_data=personal_data, tables=tables, run=described)


# --- writing ----------------------------------------------------------------------------------------


def file_names(fmt: Format) -> list[str]:
    """The data files one export writes in this format (the manifest comes on top)."""
    if fmt == "duckdb":
        return [DUCKDB_FILE]
    return [f"{spec.name}.{fmt}" for spec in TABLES]


def ours() -> set[str]:
    """Every file name any export may leave in its folder: a folder holding only these is a previous export."""
    names = {MANIFEST_FILE, f"{DUCKDB_FILE}.wal"}
    for fmt in FORMATS:
        names.update(file_names(fmt))
    return names


def check_out(out: Path) -> None:
    """Refuse a folder we must not write into: a file, or a folder holding anything but a previous export."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(
            f"--out {out} is a file: give a folder (new, empty or holding a previous export)", field="out"
        )
    if out.is_dir():
        try:
            others = sorted(p.name for p in out.iterdir() if p.name not in ours())
        except OSError as exc:
            raise Unavailable(f"Cannot read the folder {out}: {exc.strerror or exc}") from None
        if others:
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            raise Conflict(
                f"--out {out} already holds other files ({shown}): give a new or empty folder",
                detail="a folder holding only a previous export is replaced",
                field="out",
                code="folder_not_empty",
            )


def manifest(export: Export, fmt: Format) -> dict[str, Any]:
    specs = {spec.name: spec for spec in TABLES}
    return {
        "format": fmt,
        "as_of": export.as_of.isoformat(),
        "personal_data": export.personal_data,
        "personal_data_removed": not export.personal_data,
        "pseudonyms": None
        if export.personal_data
        else "HMAC-SHA256 keyed with the installation's secret key, first 16 hex digits; free-text notes are null",
        "score_run": export.run,
        "tables": {
            name: {
                "file": DUCKDB_FILE if fmt == "duckdb" else f"{name}.{fmt}",
                "rows": table.num_rows,
                "description": specs[name].meaning,
                "columns": [
                    {"name": c.name, "type": str(c.type), "description": c.meaning} for c in specs[name].columns
                ],
            }
            for name, table in export.tables.items()
        },
    }


def write_parquet(export: Export, folder: Path) -> None:
    import pyarrow.parquet as pq

    for name, table in export.tables.items():
        pq.write_table(table, folder / f"{name}.parquet")


def write_csv(export: Export, folder: Path) -> None:
    from referly.kit.sheets import write_table_csv

    for name, table in export.tables.items():
        write_table_csv(table, folder / f"{name}.csv")


def write_duckdb(export: Export, folder: Path) -> None:
    import duckdb

    from referly.kit.sql import sql_text

    specs = {spec.name: spec for spec in TABLES}
    con = duckdb.connect(str(folder / DUCKDB_FILE))
    try:
        for name, table in export.tables.items():
            con.register("exported", table)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM exported')
            con.unregister("exported")
            con.execute(f'COMMENT ON TABLE "{name}" IS {sql_text(specs[name].meaning)}')
            for column in specs[name].columns:
                con.execute(f'COMMENT ON COLUMN "{name}"."{column.name}" IS {sql_text(column.meaning)}')
        con.execute("CHECKPOINT")
    finally:
        con.close()


WRITERS = {"parquet": write_parquet, "csv": write_csv, "duckdb": write_duckdb}


def write_export(export: Export, fmt: Format, out: Path) -> list[Path]:
    """Write the tables and ``manifest.json`` into ``out``; a previous export there is replaced whole.

    Everything is written into a scratch folder beside ``out`` first, then moved in: a failure leaves
    ``out`` as it was.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format {fmt}: choose parquet, csv or duckdb", field="format")
    check_out(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".referly-tables-", dir=out.resolve().parent))
    except OSError as exc:
        raise Unavailable(f"Cannot write into {out}: {exc.strerror or exc}") from None
    try:
        WRITERS[fmt](export, scratch)
        (scratch / MANIFEST_FILE).write_text(json.dumps(manifest(export, fmt), indent=2) + "\n", encoding="utf-8")
        for old in ours():
            (out / old).unlink(missing_ok=True)
        written = []
        for made in sorted(scratch.iterdir()):
            os.replace(made, out / made.name)
            written.append(out / made.name)
    except OSError as exc:
        raise Unavailable(f"Cannot write into {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def zip_export(export: Export, fmt: Format, target: IO[bytes]) -> None:
    """The export as ``write_export`` writes it (its files and ``manifest.json``), zipped into ``target``.

    The files are written in a temporary folder, removed once zipped.
    """
    import zipfile

    with tempfile.TemporaryDirectory(prefix="referly-tables-") as scratch:
        folder = Path(scratch) / "tables"
        written = write_export(export, fmt, folder)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, arcname=path.name)
