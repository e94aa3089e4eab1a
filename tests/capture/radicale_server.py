"""A real CalDAV server for the tests: Radicale, started as its own process on a free loopback port, with a
throwaway configuration, storage folder and htpasswd file (plain passwords), stopped at the end.

``Radicale.put`` and ``delete`` change events the way a calendar app would (HTTP PUT and DELETE).
"""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "alice", "correct horse"
STARTUP_SECONDS = 30.0


@dataclass
class Radicale:
    port: int
    scheme: str = "http"

    @property
    def root(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def calendar_url(self, name: str = "work") -> str:
        return f"{self.root}/{USER}/{name}/"

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers={"Authorization": f"Basic {token}", **(headers or {})})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            import ssl

            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the tests' own server
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def make_calendar(self, name: str = "work") -> str:
        status = self.request("MKCALENDAR", f"/{USER}/{name}/")
        assert status == 201, f"MKCALENDAR answered {status}"
        return self.calendar_url(name)

    def put(self, name: str, ics: str, calendar: str = "work") -> None:
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        status = self.request("PUT", f"/{USER}/{calendar}/{name}", ics.encode(), headers)
        assert status in (201, 204), f"PUT {name} answered {status}"

    def delete(self, name: str, calendar: str = "work") -> None:
        status = self.request("DELETE", f"/{USER}/{calendar}/{name}")
        assert status in (200, 204), f"DELETE {name} answered {status}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def radicale_server(folder: Path, *, certificate: tuple[Path, Path] | None = None) -> Iterator[Radicale]:
    """Radicale serving ``folder`` (made if needed); over TLS with ``certificate`` (a PEM certificate and key)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    server = Radicale(free_port(), "https" if certificate else "http")
    tls = f"ssl = True\ncertificate = {certificate[0]}\nkey = {certificate[1]}\n" if certificate else ""
    config = folder / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{server.port}\n{tls}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {folder / 'users'}\nhtpasswd_encryption = plain\ndelay = 0\n\n"
        f"[rights]\ntype = owner_only\n\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n\n"
        f"[web]\ntype = none\n\n[logging]\nlevel = warning\n",
        encoding="utf-8",
    )
    log = (folder / "radicale.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait(server, process, folder)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait(server: Radicale, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale stopped at start: {(folder / 'radicale.log').read_text()[-2000:]}")
        try:
            server.request("OPTIONS", "/")
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Radicale did not answer within {STARTUP_SECONDS:.0f} s")
