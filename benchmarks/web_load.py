"""Benchmark: 50 concurrent users on the smb demo, hitting Today, the referral board and the actions API.

    pip install -e '.[bench]'
    python benchmarks/web_load.py [--db smb.db] [--users 50] [--seconds 60] [--pace 1.0]

Setup (not timed): the smb demo company, scored, in a SQLite file (built unless --db names one), a
manager login and a read token; `referly serve` started on a free loopback port as a user would
(gunicorn, as `referly serve` defaults: cores + 1 workers, 2 threads each). Timed, in one run: every
user logs in through the login form, then
each ``--pace`` seconds opens Today, the board or the actions API (a third each); after 15 s of warm-up
(the logins, each worker thread's first requests) the next ``--seconds`` are measured;
beside them, the same users fetch the app's stylesheet, the baseline: the same server, no page work.
Prints requests, errors and latency percentiles per request kind, and p95 as a ratio to the
baseline's. Target: p95 under 150 ms for each kind, zero errors. Nothing here gates CI.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # locust's users are greenlets: patch before anything imports sockets

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant_pacing, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

PASSWORD = "referly-demo"  # the demo's logins
KINDS = ("today", "board", "actions api", "baseline: stylesheet")


def referly(*args: str, db: Path, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERLY_")}
    done = subprocess.run(
        [sys.executable, "-m", "referly", *args, "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"referly {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


def prepare(db: Path | None) -> tuple[Path, str, str]:
    """The smb demo (built when missing), a manager's e-mail and a read token for the API."""
    if db is None:
        db = Path(tempfile.mkdtemp(prefix="referly-load-")) / "smb.db"
    if not db.exists():
        print(f"Building the smb demo in {db} (about a minute)...", flush=True)
        referly("demo", "--scale", "smb", "--no-serve", db=db)
    listed = referly("user", "list", "--json", db=db)
    manager = re.search(r'"email": "([^"]+)",\s*"role": "manager"', listed)
    if manager is None:
        sys.exit(f"{db} has no manager login: build it with `referly demo --no-serve --db {db}`")
    token = re.search(r"rly_[A-Za-z0-9_-]+", referly("user", "token", manager[1], "--name", "load test", db=db))
    assert token is not None
    return db, manager[1], token[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving(workers: int | None, threads: int | None) -> list[str]:
    """`referly serve`'s own defaults unless asked otherwise."""
    return [*(["--workers", str(workers)] if workers else []), *(["--threads", str(threads)] if threads else [])]


def start_server(db: Path, port: int, workers: int | None, threads: int | None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERLY_")}
    # The simulated users share one API token: a real team's clients each have their own, so the per-token
    # limit (600 a minute) is raised here to measure the server, not the limiter.
    env["REFERLY_API_TOKEN_PER_MINUTE"] = "100000"
    env["REFERLY_API_ADDRESS_PER_MINUTE"] = "100000"
    server = subprocess.Popen(
        [sys.executable, "-m", "referly", "serve", "--db", str(db), "--port", str(port), *serving(workers, threads)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("the server did not start within 60 s")


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
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pace", type=float, default=1.0, help="Seconds between two requests of one user.")
    parser.add_argument("--workers", type=int, default=None, help="`referly serve --workers` (default: its own)")
    parser.add_argument("--threads", type=int, default=None, help="`referly serve --threads` (default: its own)")
    args = parser.parse_args()
    db, email, token = prepare(args.db)
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
    report(env, args)
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


def report(env: Environment, args: argparse.Namespace) -> None:
    print(f"\n{args.users} users, a request each {args.pace:g} s, {args.seconds:g} s measured, {os.cpu_count()} cores")
    print(f"{'request':<22}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = {name: env.stats.get(name, "GET") for name in KINDS}
    for name, s in rows.items():
        print(
            f"{name:<22}{s.num_requests:>8}{s.num_failures:>8}{s.get_response_time_percentile(0.5):>9.0f}"
            f"{s.get_response_time_percentile(0.95):>9.0f}{s.get_response_time_percentile(0.99):>9.0f}"
            f"{s.max_response_time:>9.0f}"
        )
    base = rows["baseline: stylesheet"].get_response_time_percentile(0.95) or 1
    worst = max(rows[k].get_response_time_percentile(0.95) for k in KINDS[:3])
    errors = sum(s.num_failures for s in rows.values())
    print(
        "p95 ratio to the baseline: "
        + ", ".join(f"{k} {rows[k].get_response_time_percentile(0.95) / base:.1f}x" for k in KINDS[:3])
    )
    verdict = "met" if worst < 150 and errors == 0 else "NOT met"
    print(f"Target (p95 < 150 ms for each kind, zero errors): {verdict} (worst p95 {worst:.0f} ms, {errors} errors)")


if __name__ == "__main__":
    main()
