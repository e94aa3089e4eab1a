"""What every command shares: the consoles it prints to, and the --db option."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

# Piped output is read in files and logs, not an 80-column terminal: give tables room.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


# The commands that may create a missing SQLite file, because they bring data into it or make it on purpose.
# Capturing a mailbox and adding a mailbox source are ways to start too: they create people and interactions.
# Every other command refuses a missing file (see ``database.open_database``); a dry run never creates one.
CREATES_DATABASE = (
    "init",
    "demo",
    "demo-data",
    "import",
    "capture mail",
    "capture calendar",
    "capture linkedin",
    "source add",
)


def command_name(ctx: click.Context) -> str:
    """The command's words without the program's name, e.g. ``source add imap``."""
    words: list[str] = []
    while ctx.parent is not None:
        words.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(words))


def creates_database(ctx: click.Context) -> bool:
    """May this command create a missing SQLite file?"""
    name = command_name(ctx)
    wanted = any(name == c or name.startswith(c + " ") for c in CREATES_DATABASE)
    return wanted and not ctx.params.get("dry_run", False)


def database_option(func: F) -> F:
    """``--db PATH``: use this SQLite file. The command opens the database when it needs it; only the
    commands of ``CREATES_DATABASE`` create it when it does not exist."""

    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite database file. Default: REFERLY_DATABASE_URL if set, else REFERLY_DB or ./referly.db.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, db_path: Path | None, **kwargs: Any) -> Any:
        from referly.database import creating, use_sqlite_file

        if db_path is not None:
            use_sqlite_file(db_path)
        with creating(creates_database(click.get_current_context())):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def write_or_echo(text: str, out: Path | None) -> None:
    """Write ``text`` to the file ``out``, or to standard output when there is none."""
    from referly.errors import Unavailable

    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Unavailable(f"Cannot write {out}: {exc.strerror or exc}") from None
