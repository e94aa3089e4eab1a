"""The smb demo company in a SQLite file, opened for a benchmark: generated first unless the file exists."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def open_smb_demo(path: Path | None) -> Path:
    """Open ``path`` (or a new temporary file) as Referly's database, generating the smb demo if it is absent."""
    path = path or Path(tempfile.mkdtemp(prefix="referly-bench-")) / "smb.db"
    if not path.exists():
        command = [sys.executable, "-m", "referly", "demo-data", "--scale", "smb", "--until", "2026-11-23"]
        subprocess.run([*command, "--db", str(path)], check=True, capture_output=True)
    os.environ.pop("REFERLY_DATABASE_URL", None)
    os.environ["REFERLY_DB"] = str(path)
    from referly.database import open_database

    open_database()
    return path
