"""Benchmark: 100 concurrent users on the smb demo, hitting Today, the referral board and the actions API.

    pip install -e '.[bench]'
    python benchmarks/web_load.py [--database-url postgresql://...] [--db smb.db] [--users 100] [--seconds 60]

Setup (not timed): the smb demo company, scored, in the PostgreSQL database ``--database-url`` names (built
by `referly demo` when that database is empty) or in a SQLite file (``--db``, built when missing), a
manager login and a read token; `referly serve` started on a free loopback port as a user would
(gunicorn, as `referly serve` defaults: cores + 1 workers, 2 threads each). Timed, in one run: every
user logs in through the login form, then
each ``--pace`` seconds opens Today, the board or the actions API (a third each); after 15 s of warm-up
(the logins, each worker thread's first requests) the next ``--seconds`` are measured;
beside them, the same users fetch the app's stylesheet, the baseline: the same server, no page work.
Prints requests, errors and latency percentiles per request kind, and p95 as a ratio to the
baseline's. Target: p95 at most 100 ms for each kind, zero errors. The load generator runs on the same
machine and shares its cores with the server (its CPU is printed). Nothing here gates CI.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # locust's users are greenlets: patch before anything imports sockets

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant_pacing, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

PASSWORD = "referly-demo"  # the demo's logins
TARGET_MS = 100
KINDS = ("today", "board", "actions api", "baseline: stylesheet")


@dataclass(frozen=True)
class Database:
    """Where the demo lives: a SQLite file (``--db``) or a PostgreSQL database (``REFERLY_DATABASE_URL``)."""

    file: Path | None = None
    url: str | None = None

    def options(self) -> list[str]:
        return ["--db", str(self.file)] if self.file is not None else []

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFERLY_")}
        return env | ({"REFERLY_DATABASE_URL": self.url} if self.url else {})

    def __str__(self) -> str:
        return self.url.rsplit("@", 1)[-1] if self.url else str(self.file)


def referly(*args: str, db: Database, stdin: str | None = None, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "referly", *args, *db.options()],
        input=stdin,
        capture_output=True,
        text=True,
        env=db.environment(),
        check=False,
    )
    if done.returncode != 0 and check:
        sys.exit(f"referly {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout if done.returncode == 0 else ""


def prepare(file: Path | None, url: str | None) -> tuple[Database, str, str]:
    """The smb demo (built when missing), a manager's e-mail and a read token for the API."""
    if url is None and file is None:
        file = Path(tempfile.mkdtemp(prefix="referly-load-")) / "smb.db"
    db = Database(file, url)
    if not holds_a_demo(db):
        print(f"Building the smb demo in {db} (a few minutes)...", flush=True)
        referly("demo", "--scale", "smb", "--no-serve", db=db)
    analysed(db)
    logins = json.loads(referly("user", "list", "--json", db=db))
    manager = next((login["email"] for login in logins if login["role"] == "manager"), None)
    if manager is None:
        sys.exit(f"{db} has no manager login: build it with `referly demo --no-serve` on an empty database")
    token = re.search(r"rly_[A-Za-z0-9_-]+", referly("user", "token", manager, "--name", "load test", db=db))
    assert token is not None
    return db, manager, token[0]


def holds_a_demo(db: Database) -> bool:
    """A SQLite file that exists, or a PostgreSQL database with logins (an empty one is filled by `referly demo`)."""
    if db.file is not None:
        return db.file.exists()
    return referly("user", "list", "--json", db=db, check=False).strip() not in ("", "[]")


def analysed(db: Database) -> None:
    """PostgreSQL's planner statistics, missing after a bulk load until autovacuum's next pass (on a busy
    machine, minutes later): without them Today's query joins every action in view before keeping 20."""
    if db.url is not None:
        import psycopg

        with psycopg.connect(db.url, autocommit=True) as connection:
            connection.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving(workers: int | None, threads: int | None) -> list[str]:
    """`referly serve`'s own defaults unless asked otherwise."""
    return [*(["--workers", str(workers)] if workers else []), *(["--threads", str(threads)] if threads else [])]


def start_server(db: Database, port: int, workers: int | None, threads: int | None) -> subprocess.Popen[str]:
    env = db.environment()
    # The simulated users share one API token: a real team's clients each have their own, so the per-token
    # limit (600 a minute) is raised here to measure the server, not the limiter.
    env["REFERLY_API_TOKEN_PER_MINUTE"] = "100000"
    env["REFERLY_API_ADDRESS_PER_MINUTE"] = "100000"
    server = subprocess.Popen(
        [sys.executable, "-m", "referly", "serve", *db.options(), "--port", str(port), *serving(workers, threads)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        # Ready when a worker answers, not when the port opens: on a busy machine the workers take long to boot.
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=60) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(1)
    server.kill()
    sys.exit("the server did not answer within 300 s")


def user_class(email: str, token: str, pace: float) -> type[FastHttpUser]:
    class Rep(FastHttpUser):  # geventhttpclient: the load generator's own CPU stays small
        wait_time = constant_pacing(pace)

        def on_start(self) -> None:
            page = self.client.get("/login/", name="login")
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert csrf is not None, "no CSRF token on the login page"
            done = self.client.post(
                "/login/",
                data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]},
                name="login",
                allow_redirects=False,
                headers={"Referer": f"{self.host}/login/"},
            )
            assert done.status_code == 302, f"login refused: {done.status_code}"

        def fetch(self, path: str, name: str, **headers: str) -> None:
            """Counts as an error anything but the page itself (a redirect to the login page included)."""
            with self.client.get(
                path, name=name, headers=headers, allow_redirects=False, catch_response=True
            ) as answer:
                if answer.status_code != 200:
                    answer.failure(f"{answer.status_code} instead of 200")

        @task
        def today(self) -> None:
            self.fetch("/", "today")

        @task
        def board(self) -> None:
            self.fetch("/referrals/", "board")

        @task
        def actions_api(self) -> None:
            self.fetch("/api/v1/actions?limit=20", "actions api", Authorization=f"Bearer {token}")

        @task
        def stylesheet(self) -> None:
            self.fetch("/static/web/app.css", "baseline: stylesheet")

    return Rep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None, help="A SQLite file (built when missing).")
    parser.add_argument(
        "--database-url", default=None, help="A PostgreSQL database (postgresql://...), the demo built when empty."
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pace", type=float, default=1.0, help="Seconds between two requests of one user.")
    parser.add_argument("--workers", type=int, default=None, help="`referly serve --workers` (default: its own)")
    parser.add_argument("--threads", type=int, default=None, help="`referly serve --threads` (default: its own)")
    args = parser.parse_args()
    if args.db is not None and args.database_url is not None:
        parser.error("--db and --database-url name two databases: give one")
    db, email, token = prepare(args.db, args.database_url)
    print(f"Load average before the run (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    port = free_port()
    server = start_server(db, port, args.workers, args.threads)
    try:
        env = Environment(
            user_classes=[user_class(email, token, args.pace)], events=events, host=f"http://127.0.0.1:{port}"
        )
        runner = env.create_local_runner()
        runner.start(args.users, spawn_rate=args.users / 5)
        gevent.sleep(15)  # every user logged in, every worker thread past its first (cold) requests
        env.stats.reset_all()
        mine, theirs = resource.getrusage(resource.RUSAGE_SELF), server_cpu(server.pid)
        gevent.sleep(args.seconds)
        cpu = {
            "load generator": cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu_seconds(mine),
            "server": server_cpu(server.pid) - theirs,
        }
        runner.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(env, args, db)
    used = ", ".join(f"{k} {v:.1f} s ({v / args.seconds:.0%} of a core)" for k, v in cpu.items())
    print(f"CPU used while measured: {used}")


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def server_cpu(master: int) -> float:
    """CPU seconds of the server's master and workers so far, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == master or int(fields[1]) == master:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def report(env: Environment, args: argparse.Namespace, db: Database) -> None:
    print(
        f"\n{args.users} users, a request each {args.pace:g} s, {args.seconds:g} s measured, {os.cpu_count()} cores,"
        f" {db}"
    )
    print(f"{'request':<22}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = {name: env.stats.get(name, "GET") for name in KINDS}
    logins = env.stats.get("login", "POST")
    for name, s in rows.items():
        print(
            f"{name:<22}{s.num_requests:>8}{s.num_failures:>8}{s.get_response_time_percentile(0.5):>9.0f}"
            f"{s.get_response_time_percentile(0.95):>9.0f}{s.get_response_time_percentile(0.99):>9.0f}"
            f"{s.max_response_time:>9.0f}"
        )
    base = rows["baseline: stylesheet"].get_response_time_percentile(0.95) or 1
    worst = max(rows[k].get_response_time_percentile(0.95) for k in KINDS[:3])
    errors = sum(s.num_failures for s in rows.values()) + logins.num_failures
    print(f"logins during the measured time: {logins.num_requests}, {logins.num_failures} refused or failed")
    print(
        "p95 ratio to the baseline: "
        + ", ".join(f"{k} {rows[k].get_response_time_percentile(0.95) / base:.1f}x" for k in KINDS[:3])
    )
    served = all(rows[k].num_requests > 0 for k in KINDS)
    verdict = "met" if served and worst <= TARGET_MS and errors == 0 else "NOT met"
    print(
        f"Target (p95 <= {TARGET_MS} ms for each kind, zero errors): {verdict}"
        f" (worst p95 {worst:.0f} ms, {errors} errors)"
    )


if __name__ == "__main__":
    main()
