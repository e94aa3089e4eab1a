"""A Spark standalone cluster on this machine: one master and its workers, each a process of its own.

Started with the launcher that ships with PySpark (``bin/spark-class``, the same classes a real
cluster runs: ``org.apache.spark.deploy.master.Master`` and ``...worker.Worker``), on the loopback
interface only, on free ports, with every Spark folder (configuration, logs, scratch, work) under a
throwaway root, and stopped at the end, whatever happened. The workers read the Parquet files by the
paths the driver gives: they are on the same machine.

Used by ``tests/scoring/test_spark_cluster.py`` and ``benchmarks/spark_cluster.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""JVM options that start faster and use fewer threads: the first compiler only, one garbage collector thread."""


class ClusterFailed(RuntimeError):
    """The cluster did not come up: the message ends with the tail of the log of the process at fault."""


@dataclass
class StandaloneCluster:
    master_url: str
    web_url: str
    root: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def status(self) -> dict[str, Any]:
        """The master's own view of the cluster (its web UI's JSON): workers, running and completed applications."""
        with urllib.request.urlopen(f"{self.web_url}/json", timeout=5) as answer:
            found: dict[str, Any] = json.load(answer)
            return found

    quick_start: bool = False

    def driver_env(self, memory: str = "512m") -> dict[str, str]:
        """What a driver process on this machine needs to reach the cluster on the loopback interface.

        Executors get ``memory`` each, as does the driver; with ``quick_start`` every JVM trades peak
        speed for a faster start (fine for small data on a busy machine).
        """
        submit = f"--driver-memory {memory} --executor-memory {memory}"
        if self.quick_start:
            submit += f" --driver-java-options '{QUICK_JVM}' --conf 'spark.executor.extraJavaOptions={QUICK_JVM}'"
        return {
            "SPARK_LOCAL_IP": LOOPBACK,
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_SUBMIT_ARGS": f"{submit} pyspark-shell",
        }


def java_found() -> bool:
    home = os.environ.get("JAVA_HOME", "").strip()
    return bool(home and os.access(Path(home) / "bin" / "java", os.X_OK)) or shutil.which("java") is not None


def spark_home() -> Path:
    """The Spark distribution inside the PySpark package: its jars and bin/spark-class."""
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def standalone_cluster(
    root: Path,
    workers: int = 2,
    cores: int = 1,
    memory: str = "1g",
    timeout: float = 120.0,
    quick_start: bool = False,
) -> Iterator[StandaloneCluster]:
    """A master and ``workers`` workers of ``cores`` cores and ``memory`` for executors each, until the block ends."""
    for name in ("conf", "logs", "local", "work"):
        (root / name).mkdir(parents=True, exist_ok=True)
    home = spark_home()
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_CONF_DIR": str(root / "conf"),  # empty: no spark-defaults.conf of the machine leaks in
        "SPARK_LOG_DIR": str(root / "logs"),
        "SPARK_LOCAL_DIRS": str(root / "local"),
        "SPARK_WORKER_DIR": str(root / "work"),
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_DAEMON_MEMORY": "256m",  # the master and workers only schedule: executors have their own JVM
        "PYSPARK_PYTHON": sys.executable,
        **({"SPARK_DAEMON_JAVA_OPTS": QUICK_JVM} if quick_start else {}),
    }
    port, web = free_port(), free_port()
    cluster = StandaloneCluster(f"spark://{LOOPBACK}:{port}", f"http://{LOOPBACK}:{web}", root, quick_start=quick_start)
    try:
        _start(cluster, env, "master", [MASTER, "--host", LOOPBACK, "--port", str(port), "--webui-port", str(web)])
        _wait(cluster, timeout, lambda s: s.get("status") == "ALIVE", "the master to answer")
        for i in range(workers):
            work = root / "work" / f"worker-{i}"
            work.mkdir(exist_ok=True)
            ports = ["--port", str(free_port()), "--webui-port", str(free_port())]
            share = ["--cores", str(cores), "--memory", memory, "--work-dir", str(work)]
            _start(cluster, env, f"worker-{i}", [WORKER, "--host", LOOPBACK, *ports, *share, cluster.master_url])
        _wait(cluster, timeout, lambda s: s.get("aliveworkers", 0) >= workers, f"{workers} workers to register")
        yield cluster
    finally:
        for process in reversed(cluster.processes):
            _stop(process)


def _start(cluster: StandaloneCluster, env: dict[str, str], name: str, args: list[str]) -> None:
    log = (cluster.root / "logs" / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [str(spark_home() / "bin" / "spark-class"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the executors a worker starts are stopped with it
    )
    log.close()
    cluster.processes.append(process)


def _wait(cluster: StandaloneCluster, timeout: float, ready: Any, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in cluster.processes:
            if process.poll() is not None:
                raise ClusterFailed(f"A Spark process ended (exit {process.returncode}):\n{_logs(cluster)}")
        with contextlib.suppress(OSError, ValueError):
            if ready(cluster.status()):
                return
        time.sleep(0.5)
    raise ClusterFailed(f"Waited {timeout:.0f} s for {what}:\n{_logs(cluster)}")


def _logs(cluster: StandaloneCluster) -> str:
    tails = []
    for log in sorted((cluster.root / "logs").glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-15:]
        tails.append(f"--- {log.name}\n" + "\n".join(lines))
    return "\n".join(tails)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this module started, SIGKILL if it is still there 10 s later."""
    with contextlib.suppress(ProcessLookupError):  # the group outlives its leader if a worker died first
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
