"""Two workers whose clocks disagree: the one running ahead must not take a live job from the other.

A lease is judged by the database's clock, the one clock every worker shares. The skew is real: the
second worker runs under ``faketime``, its clock five minutes ahead of the first's (and of the database's).
SQLite lives on one machine, whose clock every worker reads; skew between machines needs PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import on_postgres
from tests.faults.conftest import lock_waiters, referly, wait_until
from tests.faults.records import job_history, write_export
from tests.jobs.scratch import process_env, query, writes_held

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="SQLite lives on one machine: every worker reads that machine's clock"
)
LEASE = {"REFERLY_JOB_LEASE_MINUTES": "1"}
AHEAD = "+5m"  # well past the lease: a worker trusting its own clock would see every live lease run out


def test_a_worker_whose_clock_runs_ahead_takes_no_live_job_and_every_job_runs_once(
    scratch: dict[str, str], tmp_path: Path
) -> None:
    faketime = shutil.which("faketime")
    if faketime is None:
        if os.environ.get("CI") == "true":
            pytest.fail("faketime is missing: CI installs Debian's faketime package (see .ci/run)")
        pytest.skip("faketime is not installed (apt-get install faketime)")
    env = scratch | LEASE
    assert referly("import", str(write_export(tmp_path / "export", 2_000)), env=env, cwd=tmp_path).returncode == 0
    assert referly("job", "add", "score", env=env, cwd=tmp_path).returncode == 0

    def worker(name: str, *before: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*before, sys.executable, "-m", "referly", "worker", "--once", "--id", name],
            env=process_env(env) | {"FAKETIME_DONT_FAKE_MONOTONIC": "1"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    # The first worker is held while saving its scores, its job alive and its lease running, while the
    # second, five minutes ahead, looks at the queue.
    with writes_held(env, "scoring_scorerun"):
        steady = worker("steady")
        wait_until(lambda: lock_waiters(env) >= 1, "the steady worker to be saving its scores")
        ahead = worker("ahead", faketime, "-f", AHEAD)
        wait_until(lambda: ahead.poll() is not None or lock_waiters(env) >= 2, "the worker ahead to look")
    outputs = {}
    for name, process in (("steady", steady), ("ahead", ahead)):
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, out
        assert "Traceback" not in out, out
        outputs[name] = out
    assert "lost by steady" not in outputs["ahead"], outputs["ahead"]
    assert "taken back" not in outputs["steady"], outputs["steady"]

    history = job_history(env)
    for job, (_, state, attempts, runs) in history.items():
        assert (state, attempts) == ("done", 1), (job, history[job])
        assert [outcome for _, _, outcome in runs] == ["done"], (job, history[job])
    score_jobs = sum(1 for kind, _, _, _ in history.values() if kind == "score")
    assert query(env, "SELECT COUNT(*) FROM scoring_scorerun")[0][0] == score_jobs
    print(f"\nclock skew ({AHEAD}): {len(history)} jobs, each run once; {score_jobs} scoring run(s), none doubled")
