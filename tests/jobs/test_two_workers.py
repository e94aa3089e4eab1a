"""Two `referly worker` processes on one database, started at the same moment: every job runs exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import RunCli
from tests.jobs.scratch import process_env, query, start_referly, writes_held

JOBS = 200
SCHEDULED = 4  # the daily occurrences both workers try to queue

# Queues JOBS review reminders (a cheap kind) through the product's own models, in one transaction.
FILL = """
import sys
from referly.database import open_database
open_database()
from django.utils import timezone
from referly.jobs.models import Job
now = timezone.now()
Job.objects.bulk_create([Job(kind="review-reminder", run_after=now, created_at=now) for _ in range(int(sys.argv[1]))])
"""


def test_two_workers_share_the_queue_and_run_every_job_exactly_once(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path
) -> None:
    env = scratch_database
    assert run_referly("init", env=env).returncode == 0
    filled = subprocess.run(
        [sys.executable, "-c", FILL, str(JOBS)], env=process_env(env), cwd=tmp_path, capture_output=True, text=True
    )
    assert filled.returncode == 0, filled.stderr

    # Both workers start while writes to the queue are held, so neither can begin before the other is ready.
    with writes_held(env):
        workers = {
            name: start_referly("worker", "--once", "--id", name, env=env, cwd=tmp_path) for name in ("w1", "w2")
        }
        for process in workers.values():
            assert process.stdout is not None
            first = process.stdout.readline()
            assert "started on the" in first, first + process.stdout.read()
    outputs = {}
    for name, process in workers.items():
        out, _ = process.communicate(timeout=600)
        assert process.returncode == 0, out
        assert "Traceback" not in out and "failed:" not in out, out
        outputs[name] = out

    jobs = query(
        env,
        "SELECT j.id, j.state, j.attempts, j.claimed_by, COUNT(r.id), MIN(r.worker), MIN(r.outcome) "
        "FROM jobs_job j LEFT JOIN jobs_jobrun r ON r.job_id = j.id "
        "GROUP BY j.id, j.state, j.attempts, j.claimed_by",
    )
    assert len(jobs) == JOBS + SCHEDULED  # each daily occurrence was queued once, though both workers queued it
    ran_twice_or_never = [row for row in jobs if row[1:3] != ("done", 1) or row[4:] != (1, row[3], "done")]
    assert ran_twice_or_never == []

    by_worker = Counter(row[3] for row in jobs)
    print(f"\n{len(jobs)} jobs, each run once: {dict(by_worker)}")
    assert set(by_worker) == {"w1", "w2"} and min(by_worker.values()) > 0, by_worker
    for name, out in outputs.items():
        assert f"Worker {name} stopped: {by_worker[name]} job(s) done, 0 failed" in out, out
    queued = sum(int(out.split(" scheduled job(s) queued")[0].rsplit(" ", 1)[-1]) for out in outputs.values())
    assert queued == SCHEDULED
