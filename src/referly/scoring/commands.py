"""`referly evaluate ties`: reading an interaction log, and printing what the evaluation measured."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
from rich.table import Table

from referly.cli import console
from referly.errors import InvalidInput


@click.group()
def evaluate() -> None:
    """Measure how well Referly's scores predict what happened next."""


@evaluate.command("ties")
@click.option(
    "--events",
    "events_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="An interaction log: CSV, TSV or space separated (gzip too), or a folder read with --mapping.",
)
@click.option("--source", help="Column of the sender (name, or 1-based position for a file without header).")
@click.option("--target", help="Column of the recipient.")
@click.option("--time", "time_column", help="Column of the time: epoch seconds or ISO dates.")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the log through an import mapping's [interactions] section instead.",
)
@click.option(
    "--cutoff", help="Date (YYYY-MM-DD) or epoch seconds. Default: when three quarters of the log is past."
)
@click.option("--horizon", type=float, default=90.0, show_default=True, help="Days after the cutoff.")
@click.option("--json", "as_json", is_flag=True)
def evaluate_ties(
    events_path: Path,
    source: str | None,
    target: str | None,
    time_column: str | None,
    mapping: Path | None,
    cutoff: str | None,
    horizon: float,
    as_json: bool,
) -> None:
    """How well relationship strength ranks the pairs that interact again, beside count and recency."""
    from referly.scoring.config import load_settings
    from referly.scoring.ties import evaluate_ties as run
    from referly.scoring.ties import undirected

    if mapping is not None:
        src, dst, ts = _through_mapping(events_path, mapping)
    else:
        if not (source and target and time_column):
            raise InvalidInput("Name the --source, --target and --time columns (or give --mapping)")
        src, dst, ts = _from_file(events_path, source, target, time_column)
    if len(ts) == 0:
        raise InvalidInput(f"{events_path}: no events")
    at = _cutoff(cutoff, ts)
    result = run(undirected(src, dst, ts), at, horizon, load_settings().strength)
    if as_json:
        console.print_json(json.dumps({**asdict(result), "events": len(ts)}))
        return
    when = datetime.fromtimestamp(at, tz=UTC)
    table = Table(
        title=f"{len(ts):,} events; {result.pairs:,} pairs before {when:%Y-%m-%d %H:%M} UTC, "
        f"{result.positives:,} of them interact again within {horizon:g} days",
        show_edge=False,
    )
    for column in ("Ranking by", "ROC AUC", *(f"Precision@{k}" for k in result.precision_at["strength"])):
        table.add_column(column, justify="left" if column == "Ranking by" else "right")
    for name in result.auc:
        table.add_row(
            name, f"{result.auc[name]:.3f}", *(f"{p:.3f}" for p in result.precision_at[name].values())
        )
    console.print(table)
    console.print("Measured on this log only; ties are undirected; AUC counts equal scores as half.")


def _from_file(path: Path, source: str, target: str, time_column: str) -> tuple[Any, Any, Any]:
    import duckdb

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
        data = con.sql(
            f'SELECT "{s}"::VARCHAR AS s, "{t}"::VARCHAR AS t, {when} AS ts FROM relation'
        ).fetchnumpy()
    except duckdb.Error as exc:
        raise InvalidInput(
            f"{path}: the time column {w!r} is neither epoch seconds nor a date ({exc})"
        ) from None
    return (*_ids(data["s"], data["t"]), np.asarray(data["ts"], dtype=np.int64))


def _through_mapping(path: Path, mapping_path: Path) -> tuple[Any, Any, Any]:
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
    return (*_ids(np.array(src), np.array(dst)), np.array(ts, dtype=np.int64))


def _ids(source: Any, target: Any) -> tuple[Any, Any]:
    """People as integers, whatever their ids look like."""
    _, codes = np.unique(np.concatenate([source.astype(str), target.astype(str)]), return_inverse=True)
    return codes[: len(source)], codes[len(source) :]


def _cutoff(value: str | None, ts: Any) -> int:
    if value is None:
        return int(np.quantile(ts, 0.75))
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise InvalidInput(f"--cutoff {value!r} is neither a date (YYYY-MM-DD) nor epoch seconds") from None


__all__ = ["evaluate", "pa"]
