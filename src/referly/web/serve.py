"""`referly serve`: the dashboard and the API from one process tree (gunicorn, threads per worker)."""

from __future__ import annotations

import os
import socket
import threading
import webbrowser
from typing import Any

import click

from referly.terminal import console, database_option

# Threads of one worker share one core through the GIL: for pages, more processes beat more threads.
WORKERS = (os.cpu_count() or 1) + 1
THREADS = 2


def check_port(host: str, port: int) -> None:
    """Refuse, in one sentence, a port another program already listens on."""
    from referly.errors import Unavailable

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise Unavailable(
                f"Cannot serve on {host}:{port}: {exc.strerror or exc}", detail="choose another with --port"
            ) from None


def run_server(
    host: str, port: int, *, workers: int = WORKERS, threads: int = THREADS, open_browser: bool = False
) -> None:
    """Serve until interrupted. The database must already be open (migrated)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    from referly.web.security import check_production

    check_production()  # as referly.wsgi does, for every caller (`referly demo` too)
    application = get_wsgi_application()

    connections.close_all()  # no connection may cross the fork into the workers
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}" if ":" not in host else f"[{host}]:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "referly",
                "when_ready": lambda _server: _ready(url, open_browser),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Server().run()


def _ready(url: str, open_browser: bool) -> None:
    console.print(f"Referly is serving on [bold]{url}[/] (Ctrl-C stops it).", highlight=False)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a browser once it is up.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=WORKERS,
    show_default="the number of cores + 1",
    help="Worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=THREADS,
    show_default=True,
    help="Threads per worker.",
)
@database_option
def serve(host: str, port: int, open_browser: bool, workers: int, threads: int) -> None:
    """Serve the dashboard and the REST API (/api/v1, documented at /api/v1/docs).

    In production (REFERLY_HTTPS=1) it refuses to start without a long random REFERLY_SECRET_KEY, or with
    REFERLY_DEBUG=1.
    """
    from referly.database import describe, open_database
    from referly.web.security import check_production

    check_production()
    check_port(host, port)
    open_database()
    console.print(f"Database: {describe()}")
    run_server(host, port, workers=workers, threads=threads, open_browser=open_browser)
