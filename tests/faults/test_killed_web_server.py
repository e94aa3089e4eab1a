"""`kill -9` of the web server's worker process in the middle of a write request: the client sees its
connection dropped, gunicorn's master starts a new worker, the next request succeeds, and the killed
request's write is all or nothing (here: nothing, and its retry writes it whole, once)."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.browser.conftest import free_port, serving_again
from tests.conftest import on_postgres
from tests.faults.conftest import (
    call_api,
    children_of,
    lock_waiters,
    referly,
    token_for,
    wait_until,
)
from tests.faults.records import CONTACTS, TEAMMATES, write_export
from tests.jobs.scratch import process_env, query, writes_held

ROWS = 5_000
START = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)


def test_a_web_worker_killed_mid_request_drops_only_that_request_and_its_write_is_all_or_nothing(
    scratch: dict[str, str], tmp_path: Path
) -> None:
    env = scratch
    assert referly("import", str(write_export(tmp_path / "people", 0)), env=env, cwd=tmp_path).returncode == 0
    token = token_for(env, tmp_path)
    rows = [
        {
            "teammate": f"t{n % TEAMMATES}@ours.example",
            "contact": f"p{n % CONTACTS}",
            "kind": "call",
            "occurred_at": (START + timedelta(minutes=n)).isoformat(),
        }
        for n in range(ROWS)
    ]
    body = json.dumps({"source_system": "", "rows": rows}).encode()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    answers: list[tuple[str, object]] = []

    with serving_again(process_env(env | {"REFERLY_API_TOKEN_PER_MINUTE": "100000"}), tmp_path, port):
        master = next(pid for pid in children_of(os.getpid()) if str(port) in _command_line(pid))
        (worker,) = children_of(master)
        push = threading.Thread(
            target=lambda: answers.append(call_api(url, token, "POST", "/api/v1/interactions", body, key="push-1"))
        )
        # The request is held at the database (PostgreSQL: its interactions wait to be inserted inside its open
        # transaction; SQLite: it waits for the one write lock), so the kill lands mid-request for sure.
        with writes_held(env, "crm_interaction"):
            push.start()
            if on_postgres():
                wait_until(lambda: lock_waiters(env) >= 1, "the request to be writing")
            else:
                wait_until(lambda: _waits_on_database(worker, env["REFERLY_DB"]), "the request to reach the database")
            os.kill(worker, signal.SIGKILL)
            push.join(timeout=120)
        assert answers == [("connection error", {})]  # the client sees its connection dropped

        wait_until(lambda: [pid for pid in children_of(master) if pid != worker] != [], "a new worker")
        assert query(env, "SELECT COUNT(*) FROM crm_interaction")[0][0] == 0  # nothing of the killed request
        status, answer = call_api(url, token, "POST", "/api/v1/interactions", body, key="push-1")
        assert status == "200", (status, answer)
        assert answer["created"] == ROWS  # the retry wrote every row: the killed attempt had kept none
        again = call_api(url, token, "POST", "/api/v1/interactions", body, key="push-1")
        assert again == ("200", answer)  # a third try is answered from the first success, not written again

    assert query(env, "SELECT COUNT(*) FROM crm_interaction")[0][0] == ROWS
    print(f"\nkill -9 of a web worker mid-request: {ROWS:,} rows compared, 0 lost, 0 doubled")


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _waits_on_database(pid: int, database: str) -> bool:
    """The process has the SQLite file open and has stopped using the processor (it sleeps on the lock)."""
    import time

    try:
        opened = {os.readlink(link) for link in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return False
    if database not in opened:
        return False
    before = _cpu_ticks(pid)
    time.sleep(0.3)
    return _cpu_ticks(pid) == before


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime
