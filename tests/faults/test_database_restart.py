"""The PostgreSQL server restarted (``pg_ctl restart -m fast``) under a running import and under web load.

SQLite has no server to restart: the database is a file each process opens itself, so these run on
PostgreSQL only, against a throwaway cluster the suite starts on its own port.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from tests.browser.conftest import free_port, serving_again
from tests.faults.conftest import (
    Restartable,
    Undisturbed,
    call_api,
    lock_waiters,
    referly,
    token_for,
    wait_until,
)
from tests.faults.records import CONTACTS, TEAMMATES, holdings, write_export
from tests.jobs.scratch import process_env, query, start_referly, writes_held


def test_an_import_cut_off_by_a_restart_keeps_nothing_and_its_rerun_imports_everything_once(
    throwaway_postgres: Restartable, big_export: Path, undisturbed: Undisturbed, tmp_path: Path
) -> None:
    cluster, env = throwaway_postgres.cluster, throwaway_postgres.databases.fresh("restart_import")
    expected = undisturbed(big_export)

    # Writes to the interactions are held, so the import waits with its teammates, accounts and contacts
    # written but not committed: the restart cuts it off there for sure.
    with contextlib.suppress(psycopg.OperationalError), writes_held(env, "crm_interaction"):
        running = start_referly("import", str(big_export), env=env, cwd=tmp_path)
        wait_until(lambda: lock_waiters(env) >= 1, "the import to reach the interactions")
        assert query(env, "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL")[0][0] >= 1
        cluster.restart()
    out, _ = running.communicate(timeout=600)

    assert running.returncode == 6, out
    assert "Traceback" not in out, out
    said = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(said) == 1 and "Lost the connection to the PostgreSQL database" in said[0], out
    assert "the unfinished work was rolled back, nothing of it was kept" in said[0]
    assert holdings(env).counts == dict.fromkeys(expected.counts, 0)  # nothing of the cut-off import was kept

    again = referly("import", str(big_export), env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert holdings(env) == expected
    print(f"\nrestart under an import: {expected.rows:,} rows compared, 0 lost, 0 doubled")


BATCHES = 60  # of interactions, pushed by the load while the server restarts
ROWS = 50  # interactions in a batch
CLIENTS = 4
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_web_requests_during_a_restart_fail_briefly_then_succeed_and_every_batch_is_written_once(
    throwaway_postgres: Restartable, tmp_path: Path
) -> None:
    cluster, env = throwaway_postgres.cluster, throwaway_postgres.databases.fresh("restart_web")
    people = write_export(tmp_path / "people", 0)
    assert referly("import", str(people), env=env, cwd=tmp_path).returncode == 0
    token = token_for(env, tmp_path)

    batches = [_batch(n) for n in range(BATCHES)]
    port = free_port()
    load = Load(f"http://127.0.0.1:{port}", token, batches)
    served = process_env(env | {"REFERLY_API_TOKEN_PER_MINUTE": "100000"})
    with serving_again(served, tmp_path, port):
        clients = [threading.Thread(target=load.client, args=(n,)) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        wait_until(lambda: load.acknowledged() >= 5, "the load to be under way")
        load.phase = "restart"
        cluster.restart()
        load.phase = "after"
        wait_until(load.recovered, "every client to be answered again after the restart")
        load.stop.set()
        for client in clients:
            client.join(timeout=120)

    seen = Counter((phase, outcome) for phase, outcome in load.outcomes)
    print(f"\nrestart under web load: {dict(seen)}")
    assert not any(outcome.startswith("4") for _, outcome in load.outcomes), seen  # never the client's fault
    # The server says it is out of reach and when to come back (503), or the connection drops: never a 500.
    assert not any(outcome == "500" for _, outcome in load.outcomes), seen
    assert load.acknowledged() == BATCHES
    stored = {
        (contact, teammate, kind, at)
        for contact, teammate, kind, at in query(
            env,
            "SELECT c.external_id, t.email, i.kind, i.occurred_at FROM crm_interaction i "
            "JOIN crm_contact c ON c.id = i.contact_id JOIN crm_teammate t ON t.id = i.teammate_id",
        )
    }
    expected = {(row["contact"], row["teammate"], 3, _moment(row["occurred_at"])) for b in batches for row in b}
    assert query(env, "SELECT COUNT(*) FROM crm_interaction")[0][0] == len(expected)
    assert stored == expected  # no batch lost, none doubled, none half-written
    # Each batch was answered once for good: a retried batch that had been written is replayed, not redone.
    assert sum(load.created.values()) == len(expected)
    print(f"restart under web load: {len(expected):,} rows compared, 0 lost, 0 doubled")


def _batch(n: int) -> list[dict[str, str]]:
    return [
        {
            "teammate": f"t{(n * ROWS + i) % TEAMMATES}@ours.example",
            "contact": f"p{(n * 7 + i) % CONTACTS}",
            "kind": "meeting",
            "occurred_at": (START + timedelta(minutes=n * ROWS + i)).isoformat(),
        }
        for i in range(ROWS)
    ]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Load:
    """Clients pushing batches of interactions (each with an Idempotency-Key, retried until answered) and
    reading the accounts, until told to stop; every outcome is kept with the phase it happened in."""

    def __init__(self, url: str, token: str, batches: list[list[dict[str, str]]]) -> None:
        self.url, self.token, self.batches = url, token, batches
        self.phase = "before"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, str]] = []
        self.created: dict[int, int] = {}
        self.answered_after: set[int] = set()

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.created)

    def recovered(self) -> bool:
        with self.lock:
            return len(self.created) == len(self.batches) and self.answered_after == set(range(CLIENTS))

    def client(self, number: int) -> None:
        mine = [n for n in range(len(self.batches)) if n % CLIENTS == number]
        while not self.stop.is_set():
            if mine:
                n = mine[0]
                body = json.dumps({"source_system": "", "rows": self.batches[n]}).encode()
                outcome, answer = self.request("POST", "/api/v1/interactions", body, key=f"batch-{n}")
                if outcome == "200":
                    mine.pop(0)
                    with self.lock:
                        self.created[n] = int(answer["created"])
            else:
                outcome, _ = self.request("GET", "/api/v1/accounts?limit=5", None)
            phase = self.phase
            with self.lock:
                self.outcomes.append((phase, outcome))
                if outcome == "200" and phase == "after":
                    self.answered_after.add(number)
            if outcome != "200":
                time.sleep(0.1)

    def request(self, method: str, path: str, body: bytes | None, key: str = "") -> tuple[str, dict[str, int]]:
        return call_api(self.url, self.token, method, path, body, key)
