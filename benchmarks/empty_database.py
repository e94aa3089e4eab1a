"""Open an empty database for a benchmark: a fresh SQLite file, or the (empty) PostgreSQL database given."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def open_empty_database(database_url: str) -> Path:
    """Point Referly at the database, migrate it, check it is empty; returns the scratch folder."""
    folder = Path(tempfile.mkdtemp(prefix="referly-bench-"))
    if database_url:
        os.environ["REFERLY_DATABASE_URL"] = database_url
    else:
        os.environ.pop("REFERLY_DATABASE_URL", None)
        os.environ["REFERLY_DB"] = str(folder / "bench.db")
    from referly.database import open_database

    open_database()
    from referly.census import holds_records

    if holds_records():
        raise SystemExit("the benchmark needs an empty database")
    return folder
