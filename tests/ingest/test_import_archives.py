"""Whole exports in one call, and imports that are interrupted."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from referly.crm.models import Account, Contact, Opportunity
from tests.conftest import ROOT, RunCli

SAMPLES = ROOT / "tests" / "ingest" / "samples"


@pytest.mark.django_db
def test_a_zip_of_a_crm_export_imports_every_file_parents_first(cli: Callable[..., Result], tmp_path: Path) -> None:
    archive = tmp_path / "hubspot-export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((SAMPLES / "hubspot").iterdir(), reverse=True):  # deals first in the archive
            z.write(path, path.name)
    result = cli("import", str(archive), "--preset", "hubspot", "--json")
    assert result.exit_code == 0, result.output
    kinds = [line.split('"')[3] for line in result.output.splitlines() if '"kind"' in line]
    assert kinds == ["accounts", "contacts", "opportunities"]
    assert Account.objects.exists() and Contact.objects.exists() and Opportunity.objects.exists()


def test_an_interrupted_import_leaves_the_database_as_it_was(run_referly: RunCli, tmp_path: Path) -> None:
    assert run_referly("demo-data", "--scale", "tiny", "--db", "d.db").returncode == 0
    with sqlite3.connect(tmp_path / "d.db") as db:
        before = db.execute("SELECT COUNT(*), MAX(id) FROM crm_interaction").fetchone()
    lines = ["teammate,contact,kind,occurred_at"]
    # Enough rows that the interrupt lands mid-import (about 20 s of work), every one a new touch.
    lines += [f"team-{1 + i % 12:03d},cont-{1 + i % 2500:07d},call,{1_500_000_000 + i}" for i in range(600_000)]
    (tmp_path / "touches.csv").write_text("\n".join(lines))
    (tmp_path / "map.toml").write_text(
        'source_system = "demo"\n[interactions.fields]\nteammate = "teammate"\n'
        'contact = "contact"\nkind = "kind"\noccurred_at = "occurred_at"\n'
        '[interactions.formats]\noccurred_at = "epoch"\n'
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "referly",
            "import",
            "interactions",
            "touches.csv",
            "--mapping",
            "map.toml",
            "--db",
            "d.db",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Interrupted" in err and "Traceback" not in err
    with sqlite3.connect(tmp_path / "d.db") as db:
        assert db.execute("SELECT COUNT(*), MAX(id) FROM crm_interaction").fetchone() == before


@pytest.mark.django_db
def test_a_zip_that_would_unpack_beyond_the_limit_is_refused_before_anything_is_written(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referly.ingest import archive as archive_module

    monkeypatch.setattr(archive_module, "MOST_UNPACKED", 1_000_000)  # the limit, small enough for a test to pass it
    monkeypatch.setattr(archive_module, "MOST_RATIO", 10_000)  # the total is what this test passes, not the ratio
    archive = tmp_path / "hubspot-export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("hubspot-crm-exports-all-companies-2024.csv", "Record ID,Company name\n" + "1,A\n" * 400_000)
    assert archive.stat().st_size < 100_000, "it compresses like a bomb"
    result = cli("import", str(archive), "--preset", "hubspot")
    assert result.exit_code != 0 and "would unpack beyond 1,000,000 bytes (the most an import accepts)" in result.output
    assert "Traceback" not in result.output and not Account.objects.exists()
    assert not any(p.suffix == ".csv" for p in tmp_path.rglob("*")), "nothing was unpacked"
