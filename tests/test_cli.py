"""The command as a user meets it: clear sentences and exit codes, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import RunCli


def assert_clean_failure(result: object, code: int, *phrases: str) -> None:
    out = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert result.returncode == code, out  # type: ignore[attr-defined]
    assert "Traceback" not in out
    for phrase in phrases:
        assert phrase in out, out


def test_init_creates_the_database_and_says_where(run_referly: RunCli, tmp_path: Path) -> None:
    result = run_referly("init", "--db", "team.db")
    assert result.returncode == 0, result.stderr
    assert "SQLite file" in result.stdout and "team.db" in result.stdout
    tables = {r[0] for r in sqlite3.connect(tmp_path / "team.db").execute("SELECT name FROM sqlite_master")}
    assert {"crm_account", "crm_interaction", "referrals_referral", "reports_review"} <= tables


def test_the_default_database_is_referly_db_in_the_current_folder(run_referly: RunCli, tmp_path: Path) -> None:
    assert run_referly("init").returncode == 0
    assert (tmp_path / "referly.db").is_file()


def test_python_m_referly_reports_its_version(run_referly: RunCli) -> None:
    result = run_referly("--version")
    assert result.returncode == 0
    assert "referly, version" in result.stdout


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("mysql://root@localhost/x", "must start with postgresql://"),
        ("postgresql://", "names no database"),
        (
            "postgresql://postgres@127.0.0.1:1/referly",
            "Cannot reach the PostgreSQL database referly on 127.0.0.1:1",
        ),
    ],
)
def test_a_bad_database_url_is_one_clear_sentence(run_referly: RunCli, url: str, phrase: str) -> None:
    result = run_referly("init", env={"REFERLY_DATABASE_URL": url})
    assert_clean_failure(result, 6, phrase)
    assert len(result.stderr.strip().splitlines()) <= 3


def test_an_unwritable_database_path_is_one_clear_sentence(run_referly: RunCli) -> None:
    assert_clean_failure(
        run_referly("init", "--db", "/proc/referly.db"), 6, "Cannot write the database /proc/referly.db"
    )
    assert_clean_failure(
        run_referly("init", "--db", "/no/such/folder/x.db"), 6, "the folder /no/such/folder does not exist"
    )


def test_a_file_that_is_not_a_database_is_refused_clearly(run_referly: RunCli, tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    assert_clean_failure(run_referly("init", "--db", "notes.db"), 6, "notes.db")


def test_demo_refuses_the_enterprise_scale_and_says_what_to_run(run_referly: RunCli) -> None:
    assert_clean_failure(
        run_referly("demo", "--scale", "enterprise", "--no-serve"), 2, "referly demo-data --scale enterprise"
    )


def test_demo_never_replaces_a_database_holding_real_accounts(run_referly: RunCli, tmp_path: Path) -> None:
    assert run_referly("init", "--db", "mine.db").returncode == 0
    with sqlite3.connect(tmp_path / "mine.db") as db:
        db.execute(
            "INSERT INTO crm_account (name, name_key, industry, country, lifecycle, custom, source_system,"
            " created_at, updated_at)"
            " VALUES ('Acme', 'acme', '', '', 'client', '{}', 'hubspot', '2026-01-01', '2026-01-01')"
        )
    assert_clean_failure(
        run_referly("demo", "--db", "mine.db", "--scale", "tiny", "--no-serve"), 4, "refusing to replace"
    )
    with sqlite3.connect(tmp_path / "mine.db") as db:
        assert db.execute("SELECT name FROM crm_account").fetchall() == [("Acme",)]


def test_demo_data_only_goes_into_an_empty_database(run_referly: RunCli) -> None:
    first = run_referly("demo-data", "--scale", "tiny", "--db", "d.db")
    assert first.returncode == 0, first.stderr
    assert_clean_failure(run_referly("demo-data", "--scale", "tiny", "--db", "d.db"), 4, "already holds records")


def test_an_unknown_option_is_a_usage_error_not_a_crash(run_referly: RunCli) -> None:
    assert_clean_failure(run_referly("demo", "--scale", "galactic"), 2, "Invalid value for '--scale'")


@pytest.mark.parametrize(
    "command",
    [
        ("actions",),
        ("score",),
        ("referral", "list"),
        ("user", "list"),
        ("serve", "--port", "1"),
        ("import", "accounts", "accounts.csv", "--dry-run"),
    ],
)
def test_a_command_that_reads_refuses_a_database_file_that_does_not_exist(
    run_referly: RunCli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "accounts.csv").write_text("name,domain\nAcme,acme.example\n")
    typo = tmp_path / "typo.db"
    result = run_referly(*command, "--db", str(typo))
    assert_clean_failure(result, 6, f"No database at {typo}", f"referly init --db {typo}")
    assert "run referly score first" not in result.stdout + result.stderr
    assert not typo.exists() and not list(tmp_path.glob("typo.db*"))


def test_the_default_database_is_not_created_by_a_command_that_reads(run_referly: RunCli, tmp_path: Path) -> None:
    assert_clean_failure(run_referly("referral", "list"), 6, "No database at", "referly init")
    assert not (tmp_path / "referly.db").exists()
    assert run_referly("import", "accounts", "accounts.csv").returncode != 0  # no such file: still nothing made
    (tmp_path / "accounts.csv").write_text("name,domain\nAcme,acme.example\n")
    assert run_referly("import", "accounts", "accounts.csv").returncode == 0
    assert (tmp_path / "referly.db").is_file()
    assert run_referly("referral", "list").returncode == 0
