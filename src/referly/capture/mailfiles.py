"""Mail files, read for their headers only: mbox files (Gmail Takeout, Thunderbird), Maildir folders,
loose .eml files, and folders or zip archives of any of these.

Each message comes out as ``(where, header bytes)``; what cannot be read comes out as a ``CaptureError``
naming the file (and the message's number in an mbox). A body is read past, never kept: a 50 MB
attachment costs a scan, not memory.
"""

from __future__ import annotations

import io
import mmap
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from referly.capture.summary import CaptureError

MAX_HEADER_BYTES = 1 << 20  # a header block over 1 MB is not a real message's
MAX_ARCHIVE_BYTES = 20 << 30  # what a zip may unpack to, in all
MAX_RATIO = 200  # a zip member unpacking to more than this many times its packed size is refused (zip bomb)
RATIO_FROM = 10 << 20  # below this a member's ratio is not checked (a small file of repeated lines packs well)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")  # an RFC 5322 field name, then a colon
_CHUNK = 1 << 16

Item = tuple[str, bytes] | CaptureError


def read_paths(paths: list[Path]) -> Iterator[Item]:
    for path in paths:
        if path.is_dir():
            yield from _folder(path)
        elif path.is_file():
            yield from _file(path, str(path))
        else:
            yield CaptureError(str(path), "file", "no such file or folder")


def _folder(root: Path) -> Iterator[Item]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.parent.name != "tmp":  # Maildir's tmp/ holds deliveries under way
            yield from _file(path, str(path))


def _file(path: Path, where: str) -> Iterator[Item]:
    try:
        with path.open("rb") as handle:
            yield from _stream(handle, where, path.suffix.lower(), path.parent.name)
    except OSError as exc:
        yield CaptureError(where, "file", exc.strerror or str(exc))


def _stream(handle: IO[bytes], where: str, suffix: str, parent: str) -> Iterator[Item]:
    head = handle.read(5)
    handle.seek(0)
    if suffix == ".zip" or head[:4] == b"PK\x03\x04":
        yield from _zip(handle, where)
    elif parent in {"cur", "new"} or suffix in {".eml", ".msg"}:  # one message, maybe after an envelope line
        if head == b"From ":
            handle.readline(MAX_HEADER_BYTES)
        yield from _single(handle, where)
    elif head == b"From ":
        yield from mbox(handle, where)
    elif _HEADER_LINE.match(handle.readline(MAX_HEADER_BYTES)):
        handle.seek(0)
        yield from _single(handle, where)
    # Anything else (a README, a picture) is not mail: skipped without a word, as a mail client would.


def _single(handle: IO[bytes], where: str) -> Iterator[Item]:
    data = b""
    while True:
        chunk = handle.read(_CHUNK)
        data += chunk
        end = _blank_line(data)
        if end >= 0:
            yield (where, data[:end])
            return
        if not chunk:
            if data.strip():  # headers only, no body: still a message
                yield (where, data)
            else:
                yield CaptureError(where, "file", "empty message")
            return
        if len(data) > MAX_HEADER_BYTES:
            yield CaptureError(where, "headers", "no end of the headers in the first 1 MB")
            return


def _blank_line(data: bytes) -> int:
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if i >= 0]
    return min(ends) if ends else -1


def mbox(handle: IO[bytes], where: str) -> Iterator[Item]:
    """The messages of an mbox: each starts at a line 'From ' after a blank line (or at the top).

    A file on disk is mapped into memory and searched (its pages are read by the system as needed, so a
    10 GB Takeout costs no 10 GB of memory); a stream, such as a zip member, is read line by line."""
    try:
        view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        yield from mbox_lines(handle, where)
        return
    with view:
        yield from _mbox_mapped(view, where)


_NEXT = re.compile(rb"\n\r?\nFrom ")


def _mbox_mapped(view: mmap.mmap, where: str) -> Iterator[Item]:
    start, number, size = 0, 0, len(view)
    while start >= 0:
        number += 1
        here = f"{where} #{number}"
        found = _NEXT.search(view, start)
        limit = found.start() if found else size
        head = view.find(b"\n", start, limit + 1) + 1  # the headers start after the 'From ' line
        stop = min(limit + 3, head + MAX_HEADER_BYTES + 3)
        ends = [i for i in (view.find(b"\n\n", head - 1, stop), view.find(b"\n\r\n", head - 1, stop)) if i >= 0]
        end = min(ends) if head and ends else -1
        if end >= 0 and end - head <= MAX_HEADER_BYTES:
            yield (here, view[head : end + 1])
        elif end >= 0 or (head and limit - head > MAX_HEADER_BYTES):
            yield CaptureError(here, "headers", "no end of the headers in the first 1 MB")
        elif found:
            yield CaptureError(here, "headers", "the message ends inside its headers")
        else:
            yield CaptureError(here, "headers", "the file ends inside the message's headers (truncated?)")
        start = found.end() - 5 if found else -1


def mbox_lines(handle: IO[bytes], where: str) -> Iterator[Item]:
    """``mbox`` for a stream, line by line: the same messages, errors and numbers."""
    headers: list[bytes] = []
    number, size, in_headers, blank_before = 0, 0, False, True
    for line in iter(lambda: handle.readline(MAX_HEADER_BYTES), b""):  # a line longer is read in pieces
        if blank_before and line.startswith(b"From "):
            if in_headers:
                yield CaptureError(f"{where} #{number}", "headers", "the message ends inside its headers")
            number, headers, size, in_headers = number + 1, [], 0, True
            blank_before = False
            continue
        blank_before = line in (b"\n", b"\r\n")
        if in_headers:
            if blank_before:
                in_headers = False
                yield (f"{where} #{number}", b"".join(headers))
            elif size <= MAX_HEADER_BYTES:
                headers.append(line)
                size += len(line)
            else:
                in_headers = False
                yield CaptureError(f"{where} #{number}", "headers", "no end of the headers in the first 1 MB")
    if in_headers:
        yield CaptureError(f"{where} #{number}", "headers", "the file ends inside the message's headers (truncated?)")


def refusal(info: zipfile.ZipInfo) -> str:
    """Why a zip member is refused before it is unpacked (a path outside the archive, a zip bomb); "" if not."""
    name = PurePosixPath(info.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts or ":" in info.filename.split("/")[0]:
        return "a path outside the archive: refused"
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > RATIO_FROM:
        return (
            f"unpacks to {info.file_size:,} bytes from {info.compress_size:,}: over {MAX_RATIO} times its "
            "packed size, refused"
        )
    return ""


def _zip(handle: IO[bytes], where: str) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError) as exc:
        yield CaptureError(where, "zip", f"not a readable zip archive ({exc})")
        return
    unpacked = 0
    with archive:
        for info in archive.infolist():
            inside = f"{where}!{info.filename}"
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if why := refusal(info):
                yield CaptureError(inside, "zip", why)
                continue
            unpacked += info.file_size
            if unpacked > MAX_ARCHIVE_BYTES:
                yield CaptureError(inside, "zip", "the archive unpacks to more than 20 GB: stopped here")
                return
            if name.parent.name == "tmp":
                continue
            try:
                with archive.open(info) as member:  # seekable: _stream may rewind to the first line
                    yield from _stream(member, inside, name.suffix.lower(), name.parent.name)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                yield CaptureError(inside, "zip", f"cannot be unpacked ({exc})")
