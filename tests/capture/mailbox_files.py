"""Mail files written the way real clients write them, for the capture tests.

Shapes: an mbox as Gmail Takeout writes it (``From `` separator lines with the Gmail thread id, CRLF
line endings, ``X-GM-THRID`` and ``X-Gmail-Labels`` headers; Google's Takeout help describes the export as
one mbox per label), and Maildir as Dovecot and notmuch keep it (``cur/`` and ``new/``, ``:2,S`` flags).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from pathlib import Path


def message(
    sender: str,
    to: str,
    at: datetime,
    *,
    cc: str = "",
    message_id: str | None = None,
    extra: str = "",
    body: str = "Hello,\n\nSee you soon.\n",
    crlf: bool = False,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines.append(f"Date: {format_datetime(at)}")
    if message_id is not None:
        lines.append(f"Message-ID: <{message_id}>")
    lines.append("Subject: Catching up")
    lines += [line for line in extra.splitlines() if line]
    text = "\n".join(lines) + "\n\n" + body
    data = text.encode("utf-8")
    return data.replace(b"\n", b"\r\n") if crlf else data


def takeout_mbox(path: Path, messages: list[bytes], *, crlf: bool = True) -> Path:
    """An mbox as Gmail Takeout writes it: a ``From <thread id>@xxx <date>`` line before each message."""
    newline = b"\r\n" if crlf else b"\n"
    with path.open("wb") as out:
        for n, raw in enumerate(messages):
            out.write(b"From 17%017d@xxx Mon Dec 07 09:00:00 +0000 2026" % n + newline)
            gmail = b"X-GM-THRID: 17%017d" % n + newline + b"X-Gmail-Labels: Inbox,Important,Opened" + newline
            out.write(gmail + raw.rstrip(b"\r\n").replace(b"\n", newline).replace(b"\r\r", b"\r") + newline + newline)
    return path


def maildir(root: Path, messages: list[bytes]) -> Path:
    for folder in ("cur", "new", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(messages):
        where = "cur" if n % 2 else "new"
        suffix = ":2,S" if where == "cur" else ""
        (root / where / f"1733562000.M{n}P1.host{suffix}").write_bytes(raw)
    return root
