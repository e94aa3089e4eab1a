"""Scoring the system of record: load, score, save. The caller owns the transaction."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

from referly.scoring.config import load_settings
from referly.scoring.folder import event_files as files_of
from referly.scoring.folder import reduce_files
from referly.scoring.models import ScoreRun
from referly.scoring.pipeline import as_of_moment, run_pipeline
from referly.scoring.store import load_inputs, reduce_in_database, save_results


def score_database(day: date | None, event_files: list[Path]) -> ScoreRun:
    """Score everything as of ``day`` (default: now) and store it as a new run, with its timings.

    The interactions are reduced where they live (the database), or from ``event_files`` when given.
    """
    settings = load_settings()
    started_at = datetime.now(tz=UTC)
    as_of = as_of_moment(day)
    clock = time.perf_counter()
    if event_files:
        pairs = reduce_files(files_of(event_files), int(as_of.timestamp()), settings.strength)
        step = "reduce the event files, read the database"
    else:
        pairs = reduce_in_database(int(as_of.timestamp()), settings.strength)
        step = "reduce the interactions in the database, read the rest"
    inputs = load_inputs()
    loaded = time.perf_counter() - clock
    results = run_pipeline(inputs, as_of, settings, pairs=pairs)
    results.timings = {step: round(loaded, 3), **results.timings}
    clock = time.perf_counter()
    run = save_results(results, settings.digest, started_at)
    run.timings = {**results.timings, "write the results": round(time.perf_counter() - clock, 3)}
    run.seconds = round(sum(run.timings.values()), 3)
    run.save(update_fields=["timings", "seconds"])
    return run
