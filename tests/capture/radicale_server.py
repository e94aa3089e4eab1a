"""A real CalDAV server for the tests: Radicale, started as its own process on a free loopback port, with a
throwaway configuration, storage folder and htpasswd file (plain passwords), stopped at the end.

``Radicale.put`` and ``delete`` change events the way a calendar app would (HTTP PUT and DELETE).

``dav_proxy`` puts a reverse proxy on another loopback port in front of it, forwarding every request, that a
test switches to behave as other servers do: without sync tokens, refusing sync reports, serving an event
nobody can read, or going away in the middle of a sync (``DavProxy``).
"""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

USER, PASSWORD = "alice", "correct horse"
STARTUP_SECONDS = 30.0
D, C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


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


@dataclass
class DavProxy:
    """A reverse proxy on its own loopback port, forwarding each request (method, path, headers, body) to
    ``upstream`` and its answer back, unless a switch says otherwise:

    - ``hide_sync_token``: PROPFIND answers report DAV:sync-token as a property the server does not have
      (404 in its propstat), as a server without RFC 6578 does;
    - ``refuse_sync``: a ``sync-collection`` REPORT is answered with this status and nothing is forwarded:
      403 with the DAV:supported-report precondition (RFC 3253 section 3.6), the answer of a server that does
      not offer the report, or 501, that of one without REPORT at all;
    - ``garble``: in a ``calendar-multiget`` answer, the calendar data of the resource of this name is
      replaced with ``UNREADABLE``;
    - ``drop_from``: from the request of this number on (the first the proxy received is 1), the connection is
      closed without an answer, as a server that went away.

    ``seen`` lists each request received, in order: its method, and for a REPORT the name of the report."""

    upstream: Radicale
    port: int = 0
    hide_sync_token: bool = False
    refuse_sync: int | None = None
    garble: str = ""
    drop_from: int | None = None
    seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calendar_url(self, name: str = "work") -> str:
        return f"{self.root}/{USER}/{name}/"

    def answer(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer | None:
        """What the proxy answers to one request; ``None`` to close the connection without answering."""
        report = _root_name(body) if method == "REPORT" else ""
        with self.lock:
            self.seen.append(f"{method} {report}".strip())
            if self.drop_from is not None and len(self.seen) >= self.drop_from:
                return None
        if report == "sync-collection" and self.refuse_sync is not None:
            if self.refuse_sync != 403:
                return Answer(self.refuse_sync, [("Content-Type", "text/plain; charset=utf-8")], b"Not implemented")
            refused = '<?xml version="1.0" encoding="utf-8"?>\n<error xmlns="DAV:"><supported-report/></error>'
            return Answer(403, [("Content-Type", "text/xml; charset=utf-8")], refused.encode())
        answer = self.forward(method, path, headers, body)
        if answer.status == 207 and method == "PROPFIND" and self.hide_sync_token:
            answer.body = _without_sync_token(answer.body)
        if answer.status == 207 and report == "calendar-multiget" and self.garble:
            answer.body = _garbled(answer.body, self.garble)
        return answer

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """The upstream server's answer to the request, as it sent it (less the headers of one connection)."""
        connection = self.upstream._connection()
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    connection.putheader(name, value)
            if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return Answer(response.status, kept, response.read(), head=method == "HEAD")
        finally:
            connection.close()


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    head: bool = False  # an answer to HEAD: its Content-Length is that of a body not sent


UNREADABLE = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane Roe\r\nEND:VCARD\r\n"  # a contact, not an event


def _root_name(body: bytes) -> str:
    try:
        return ET.fromstring(body).tag.rpartition("}")[2]
    except ET.ParseError:
        return ""


def _without_sync_token(body: bytes) -> bytes:
    root = ET.fromstring(body)
    for response in root.iter(f"{D}response"):
        for prop in response.findall(f"{D}propstat/{D}prop"):
            for token in prop.findall(f"{D}sync-token"):
                prop.remove(token)
                missing = ET.SubElement(response, f"{D}propstat")
                ET.SubElement(ET.SubElement(missing, f"{D}prop"), f"{D}sync-token")
                ET.SubElement(missing, f"{D}status").text = "HTTP/1.1 404 Not Found"
    return _serialized(root)


def _garbled(body: bytes, name: str) -> bytes:
    root = ET.fromstring(body)
    for response in root.iter(f"{D}response"):
        if (response.findtext(f"{D}href") or "").rstrip("/").rpartition("/")[2] == name:
            for data in response.iter(f"{C}calendar-data"):
                data.text = UNREADABLE
    return _serialized(root)


def _serialized(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: DavProxy


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections kept alive, as a client of a real server expects
    server: _ProxyServer

    def relay(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.send_error(411)  # every client here sends Content-Length
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.proxy.answer(self.command, self.path, list(self.headers.items()), body)
        if answer is None:
            self.close_connection = True  # nothing written: the client sees the connection closed
            return
        self.send_response_only(answer.status)
        for name, value in answer.headers:
            if name.lower() != "content-length" or answer.head:
                self.send_header(name, value)
        if not answer.head:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if not answer.head:
            self.wfile.write(answer.body)

    do_OPTIONS = do_GET = do_HEAD = do_PUT = do_DELETE = relay
    do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCOL = do_MKCALENDAR = do_MOVE = do_COPY = relay

    def log_message(self, format: str, *args: object) -> None:
        pass  # the tests read ``DavProxy.seen``, not a log


@contextmanager
def dav_proxy(upstream: Radicale) -> Iterator[DavProxy]:
    """A ``DavProxy`` in front of ``upstream``, serving from a thread until the end of the block."""
    server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
    server.proxy = DavProxy(upstream, int(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, name="dav-proxy", daemon=True)
    thread.start()
    try:
        yield server.proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
