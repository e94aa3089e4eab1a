"""`kill -9` of a worker in the middle of a scoring job: its lease runs out, another worker takes the job
back and runs it, and the job's work is written once, as an undisturbed run writes it."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import on_postgres
from tests.faults.conftest import lock_waiters, referly, sqlite_writer_busy, wait_until
from tests.faults.records import job_history, scoring_run, write_export
from tests.jobs.scratch import query, start_referly, writes_held

LEASE = {"REFERLY_JOB_LEASE_MINUTES": "0.05"}  # three seconds: a killed worker's job is taken back soon


def test_a_job_whose_worker_was_killed_is_taken_back_by_another_and_done_once(
    scratch: dict[str, str], tmp_path: Path
) -> None:
    env = scratch | LEASE
    assert referly("import", str(write_export(tmp_path / "export", 2_000)), env=env, cwd=tmp_path).returncode == 0
    assert referly("job", "add", "score", env=env, cwd=tmp_path).returncode == 0

    first = start_referly("worker", "--id", "first", "--poll", "0.5", env=env, cwd=tmp_path)
    if on_postgres():
        # Saving the scores waits for the test: the worker is killed with the job read, scored, half saved.
        with writes_held(env, "scoring_scorerun"):
            wait_until(lambda: lock_waiters(env) >= 1, "the first worker to be saving its scores")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=60)
    else:
        # SQLite: a score job running for the first worker while it holds the write lock is mid-transaction.
        wait_until(lambda: _running(env, "first") and sqlite_writer_busy(env), "the first worker to be scoring")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    killed = [job for job, (kind, state, _, _) in job_history(env).items() if kind == "score" and state == "running"]
    assert len(killed) == 1, job_history(env)  # killed mid-job: the job is still the dead worker's
    assert query(env, "SELECT COUNT(*) FROM scoring_scorerun")[0][0] == 0  # and none of its work is in

    second = start_referly("worker", "--id", "second", "--poll", "0.5", env=env, cwd=tmp_path)
    wait_until(lambda: _all_ended(env), "the second worker to finish every job", timeout=300)
    second.send_signal(signal.SIGTERM)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    assert "Traceback" not in out, out
    assert f"Job {killed[0]} (score): attempt 1 lost by first; queued." in out, out

    history = job_history(env)
    _, state, attempts, runs = history[killed[0]]
    assert (state, attempts) == ("done", 2)
    assert runs == [
        (1, "first", "lost"),
        (2, "second", "done"),
    ]
    for job, (_, state, _, runs) in history.items():  # every job ended done, with one done run
        assert state == "done" and [r[2] for r in runs].count("done") == 1, (job, history[job])
    score_jobs = sum(1 for kind, _, _, _ in history.values() if kind == "score")
    runs_made = [int(run) for (run,) in query(env, "SELECT id FROM scoring_scorerun ORDER BY id")]
    assert len(runs_made) == score_jobs  # one scoring run per score job: nothing doubled

    undisturbed = referly("score", env=env, cwd=tmp_path)
    assert undisturbed.returncode == 0, undisturbed.stdout + undisturbed.stderr
    reference = scoring_run(env, max(int(run) for (run,) in query(env, "SELECT id FROM scoring_scorerun")))
    for run in runs_made:
        assert scoring_run(env, run) == reference
    print(
        f"\nkill -9 of a worker mid-job: {reference.rows * len(runs_made):,} score rows compared "
        f"over {len(runs_made)} run(s), {len(history)} jobs each done once"
    )


def _running(env: dict[str, str], worker: str) -> bool:
    return any(k == "score" and s == "running" and r == worker for k, s, r in _claims(env))


def _claims(env: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(str(k), str(s), str(w)) for k, s, w in query(env, "SELECT kind, state, claimed_by FROM jobs_job")]


def _all_ended(env: dict[str, str]) -> bool:
    return all(state in ("done", "failed") for _, state, _ in _claims(env))
