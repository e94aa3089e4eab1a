"""`referly worker` and `referly job` as a user meets them: clear sentences, clean stops, no traceback."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.conftest import RunCli
from tests.jobs.scratch import start_referly
from tests.test_cli import assert_clean_failure


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_waiting_worker_stops_cleanly_when_told(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path, stop: signal.Signals
) -> None:
    assert run_referly("init", env=scratch_database).returncode == 0
    worker = start_referly("worker", "--poll", "600", "--id", "night-shift", env=scratch_database, cwd=tmp_path)
    assert worker.stdout is not None
    seen = [worker.stdout.readline()]
    assert "Worker night-shift started" in seen[0]
    while sum(" done: " in line for line in seen) < 4:  # the day's four scheduled jobs: then it waits
        seen.append(worker.stdout.readline())
        assert seen[-1], seen
    worker.send_signal(stop)
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    assert "Traceback" not in out
    assert "Stopping after the job under way" in out
    assert "Worker night-shift stopped: 4 job(s) done, 0 failed, 4 scheduled job(s) queued." in out


def test_a_job_that_fails_is_reported_and_kept_without_stopping_the_worker(
    run_referly: RunCli, scratch_database: dict[str, str]
) -> None:
    env = scratch_database | {"REFERLY_NO_RESPONSE_DAYS": "three weeks"}
    assert run_referly("init", env=env).returncode == 0
    assert run_referly("job", "add", "review-reminder", "--at", "2020-01-01 00:00", env=env).returncode == 0
    done = run_referly("worker", "--once", "--id", "w1", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "(referral-refresh) failed: REFERLY_NO_RESPONSE_DAYS must be a whole number of days" in done.stdout
    assert "Worker w1 stopped: 4 job(s) done, 1 failed, 4 scheduled job(s) queued." in done.stdout

    failed = json.loads(run_referly("job", "list", "--state", "failed", "--json", env=env).stdout)
    assert [(j["kind"], j["attempts"], j["claimed_by"]) for j in failed] == [("referral-refresh", 1, "w1")]
    assert failed[0]["error"] == "REFERLY_NO_RESPONSE_DAYS must be a whole number of days, not 'three weeks'"
    every = json.loads(run_referly("job", "list", "--json", env=env).stdout)
    reminders = [j["result"]["summary"] for j in every if j["kind"] == "review-reminder"]
    assert reminders == ["no review yet: time for the first monthly referral review"] * 2
    table = run_referly("job", "list", env=env)
    assert table.returncode == 0 and "review-reminder" in table.stdout


def test_job_add_names_the_kinds_and_reads_times_in_the_configured_zone(
    run_referly: RunCli, scratch_database: dict[str, str]
) -> None:
    env = scratch_database | {"REFERLY_TIME_ZONE": "Europe/Paris"}
    assert run_referly("init", env=env).returncode == 0
    assert_clean_failure(
        run_referly("job", "add", "scoring", env=env),
        2,
        "No job kind 'scoring': the kinds are score, referral-refresh, review-reminder",
    )
    assert_clean_failure(run_referly("job", "add", "score", "--at", "tomorrow", env=env), 2, "--at 'tomorrow'")
    added = run_referly("job", "add", "score", "--at", "2030-01-15 09:00", env=env)
    assert added.returncode == 0, added.stderr
    assert "queued to run after 2030-01-15 09:00 CET" in added.stdout
    listed = json.loads(run_referly("job", "list", "--json", env=env).stdout)
    assert [(j["kind"], j["state"], j["run_after"]) for j in listed] == [
        ("score", "queued", "2030-01-15T08:00:00+00:00")
    ]
