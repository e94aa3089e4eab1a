"""The interaction log both `referly evaluate ties` and `referly evaluate paths` read: one set of options, one
reader, one cut-off rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from referly.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--events",
        "events_path",
        required=True,
        type=click.Path(exists=True, path_type=Path),
        help="An interaction log: CSV, TSV or space separated (gzip too), or a folder read with --mapping.",
    ),
    click.option("--source", help="Column of the sender (name, or 1-based position for a file without header)."),
    click.option("--target", help="Column of the recipient."),
    click.option("--time", "time_column", help="Column of the time: epoch seconds or ISO dates."),
    click.option(
        "--mapping",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read the log through an import mapping's [interactions] section instead.",
    ),
    click.option(
        "--cutoff",
        help="Date (YYYY-MM-DD) or epoch seconds. Default: when three quarters of the log is past (earlier if "
        "the horizon would run past the log's end).",
    ),
    click.option("--horizon", type=float, default=90.0, show_default=True, help="Days after the cutoff."),
)


def log_options(command: F) -> F:
    """--events, --source, --target, --time, --mapping, --cutoff and --horizon."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def read_events(
    events_path: Path, source: str | None, target: str | None, time_column: str | None, mapping: Path | None
) -> tuple[Any, Any, Any]:
    """The log's senders, recipients and epoch seconds; refused in one sentence when it cannot be read."""
    from referly.ingest.logs import read_log, read_log_through_mapping

    if mapping is not None:
        src, dst, ts = read_log_through_mapping(events_path, mapping)
    else:
        if not (source and target and time_column):
            raise InvalidInput("Name the --source, --target and --time columns (or give --mapping)")
        src, dst, ts = read_log(events_path, source, target, time_column)
    if len(ts) == 0:
        raise InvalidInput(f"{events_path}: no events")
    return src, dst, ts


def check_horizon_days(horizon: float) -> None:
    if horizon <= 0:
        raise InvalidInput(f"--horizon must be a positive number of days (got {horizon:g})", field="horizon")


def cutoff_of(value: str | None, ts: Any, horizon: float) -> int:
    """--cutoff as epoch seconds: a date (YYYY-MM-DD, UTC) or epoch seconds; by default the tuning's rule."""
    from referly.scoring.tuning import default_cutoff

    if value is None:
        return int(default_cutoff(ts, horizon))
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise InvalidInput(f"--cutoff {value!r} is neither a date (YYYY-MM-DD) nor epoch seconds") from None
