"""Interaction logs read as (sender, recipient, epoch seconds) arrays, people numbered from 0.

A log is a delimited file with named or numbered columns (SNAP-style space-separated ones too), or any file or
folder read through an import mapping's ``[interactions]`` section.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from referly.errors import InvalidInput


def read_log(path: Path, source: str, target: str, time_column: str) -> tuple[Any, Any, Any]:
    import duckdb
    import numpy as np

    con = duckdb.connect()
    try:
        relation = con.read_csv(str(path))
        if len(relation.columns) == 1:  # the sniffer does not try spaces: SNAP-style "SRC DST SECONDS" logs
            first = str(relation.columns[0]).split()
            header = not all(part.lstrip("-").isdigit() for part in first)
            relation = con.read_csv(str(path), sep=" ", header=header)
    except duckdb.Error as exc:
        raise InvalidInput(f"{path}: cannot be read as a delimited file ({exc})") from None
    names = relation.columns

    def column(name: str) -> str:
        if name in names:
            return name
        if name.isdigit() and 1 <= int(name) <= len(names):
            return names[int(name) - 1]
        raise InvalidInput(f"{path} has no column {name!r} (columns: {', '.join(names)})")

    s, t, w = column(source), column(target), column(time_column)
    kind = str(relation.types[names.index(w)]).upper()
    when = (
        f'"{w}"::BIGINT'
        if kind in ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE")
        else f'epoch(CAST("{w}" AS TIMESTAMP))::BIGINT'
    )
    try:
        data = con.sql(f'SELECT "{s}"::VARCHAR AS s, "{t}"::VARCHAR AS t, {when} AS ts FROM relation').fetchnumpy()
    except duckdb.Error as exc:
        raise InvalidInput(f"{path}: the time column {w!r} is neither epoch seconds nor a date ({exc})") from None
    return (*people_ids(data["s"], data["t"]), np.asarray(data["ts"], dtype=np.int64))


def read_log_through_mapping(path: Path, mapping_path: Path) -> tuple[Any, Any, Any]:
    import numpy as np

    from referly.database import start_django

    start_django()
    from referly.ingest.importer import joined_rows, plan_folder
    from referly.ingest.kinds import kind_spec
    from referly.ingest.mapping import load_mapping
    from referly.ingest.outcome import FileOutcome
    from referly.ingest.readers import read_table
    from referly.ingest.rows import MappedRow, RowConverter

    mapping = load_mapping(mapping_path)
    files = [p for k, p in plan_folder(path, mapping) if k == "interactions"] if path.is_dir() else [path]
    section = mapping.section("interactions")
    src: list[str] = []
    dst: list[str] = []
    ts: list[int] = []
    far = datetime(9999, 1, 1, tzinfo=UTC)
    for file in files:
        table = read_table(file, section.read)
        converter = RowConverter(kind_spec("interactions"), section, file.name, far, table.columns)
        for item in joined_rows(table.rows, section, file, FileOutcome("interactions", file.name)):
            row = converter.convert(item)
            if isinstance(row, MappedRow):
                src.append(row.values["teammate"])
                dst.append(row.values["contact"])
                ts.append(int(row.values["occurred_at"].timestamp()))
    return (*people_ids(np.array(src), np.array(dst)), np.array(ts, dtype=np.int64))


def people_ids(source: Any, target: Any) -> tuple[Any, Any]:
    """People as integers, whatever their ids look like."""
    import numpy as np

    _, codes = np.unique(np.concatenate([source.astype(str), target.astype(str)]), return_inverse=True)
    return codes[: len(source)], codes[len(source) :]
