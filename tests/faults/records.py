"""A CRM export to import, and what an import leaves behind: counts per table and a digest of every row.

Two databases that imported the same export hold the same digest; a row lost, doubled or half-written
(an interaction without its contact, a contact without its account) changes it.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.jobs.scratch import query

TEAMMATES = 20
ACCOUNTS = 300
CONTACTS = 3_000
KINDS = ("email_out", "email_in", "meeting", "call")

# The business columns of each table an import writes, each row named by its keys, never by its id.
BUSINESS_ROWS = {
    "teammates": "SELECT email, name FROM crm_teammate",
    "accounts": "SELECT external_id, name, domain, lifecycle FROM crm_account",
    "contacts": (
        "SELECT c.external_id, c.email, c.first_name, c.last_name, a.external_id "
        "FROM crm_contact c JOIN crm_account a ON a.id = c.account_id"
    ),
    "interactions": (
        "SELECT c.external_id, t.email, i.kind, i.occurred_at FROM crm_interaction i "
        "JOIN crm_contact c ON c.id = i.contact_id JOIN crm_teammate t ON t.id = i.teammate_id"
    ),
}
COUNTS = {
    "teammates": "SELECT COUNT(*) FROM crm_teammate",
    "accounts": "SELECT COUNT(*) FROM crm_account",
    "contacts": "SELECT COUNT(*) FROM crm_contact",
    "interactions": "SELECT COUNT(*) FROM crm_interaction",
}


def write_export(folder: Path, interactions: int, seed: int = 7) -> Path:
    """A folder of four CSV files, as a CRM exports them: teammates, accounts, contacts and ``interactions``
    touches between them (a few repeated, as real logs repeat)."""
    folder.mkdir(parents=True, exist_ok=True)
    pick = random.Random(seed)
    _write(
        folder / "teammates.csv",
        ["email", "name", "role"],
        ([f"t{i}@ours.example", f"Teammate {i}", "ae"] for i in range(TEAMMATES)),
    )
    _write(
        folder / "accounts.csv",
        ["external_id", "name", "domain", "lifecycle"],
        ([f"a{i}", f"Company {i}", f"c{i}.example", "client"] for i in range(ACCOUNTS)),
    )
    _write(
        folder / "contacts.csv",
        ["external_id", "email", "first_name", "last_name", "account"],
        (
            [f"p{i}", f"p{i}@c{i % ACCOUNTS}.example", f"First{i}", f"Last{i}", f"a{i % ACCOUNTS}"]
            for i in range(CONTACTS)
        ),
    )
    _write(
        folder / "interactions.csv",
        ["teammate", "contact", "kind", "occurred_at"],
        (
            [
                f"t{pick.randrange(TEAMMATES)}@ours.example",
                f"p{pick.randrange(CONTACTS)}",
                KINDS[n % len(KINDS)],
                f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{n // 60 % 60:02d}Z",
            ]
            for n in range(interactions)
        ),
    )
    return folder


def _write(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


@dataclass(frozen=True)
class Holdings:
    """What the database holds of an import: rows per kind, and one digest of all their business columns."""

    counts: dict[str, int]
    digest: str

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def holdings(env: dict[str, str]) -> Holdings:
    counts = {kind: int(query(env, sql)[0][0]) for kind, sql in COUNTS.items()}
    whole = hashlib.sha256()
    for kind, sql in BUSINESS_ROWS.items():
        lines = sorted("\x1f".join(str(value) for value in row) for row in query(env, sql))
        whole.update(f"{kind}:{len(lines)}\n".encode())
        for line in lines:
            whole.update(line.encode() + b"\n")
    return Holdings(counts, whole.hexdigest())


# What a scoring run wrote, by keys that do not move within a day (the scores' decimals follow the clock).
RUN_ROWS = {
    "strengths": "SELECT teammate_id, contact_id, touches FROM scoring_relationshipstrength WHERE run_id = {run}",
    "fits": "SELECT account_id, tier FROM scoring_accountfit WHERE run_id = {run}",
    "sponsors": "SELECT contact_id, gated FROM scoring_sponsorscore WHERE run_id = {run}",
    "actions": "SELECT sponsor_id, target_account_id FROM scoring_nextbestaction WHERE run_id = {run}",
}


def scoring_run(env: dict[str, str], run: int) -> Holdings:
    counts: dict[str, int] = {}
    whole = hashlib.sha256()
    for kind, sql in RUN_ROWS.items():
        lines = sorted("\x1f".join(str(value) for value in row) for row in query(env, sql.format(run=int(run))))
        counts[kind] = len(lines)
        whole.update(f"{kind}:{len(lines)}\n".encode() + "\n".join(lines).encode())
    return Holdings(counts, whole.hexdigest())


def job_history(env: dict[str, str]) -> dict[int, tuple[str, str, int, list[tuple[int, str, str]]]]:
    """Each job: its kind, state and attempts, and its runs (attempt, worker, outcome)."""
    runs: dict[int, list[tuple[int, str, str]]] = {}
    for job, attempt, worker, outcome in query(
        env, "SELECT job_id, attempt, worker, outcome FROM jobs_jobrun ORDER BY job_id, attempt"
    ):
        runs.setdefault(int(job), []).append((int(attempt), str(worker), str(outcome)))
    return {
        int(job): (str(kind), str(state), int(attempts), runs.get(int(job), []))
        for job, kind, state, attempts in query(env, "SELECT id, kind, state, attempts FROM jobs_job ORDER BY id")
    }
