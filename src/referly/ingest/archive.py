"""Zip archives from outside, unpacked within bounds: a zip bomb stops before it fills a disk or memory.

A zip's headers say how many members it holds and how large each one unpacks, and a crafted archive may
lie in them. So the limits are checked twice: on what the headers declare, before anything is written,
and on the bytes really unpacked, counted chunk by chunk while each member streams to disk. The moment a
limit is crossed the extraction stops and every file it wrote is removed.

Members are streamed in chunks of ``CHUNK`` bytes, so memory stays bounded whatever an archive holds.
Only stored and deflated members are unpacked: deflate expands at most about 1,000 times per chunk read,
while bzip2 and LZMA could expand one chunk into gigabytes before a count is taken.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO

from referly.errors import InvalidInput

MOST_MEMBERS = 10_000  # files in one archive; a CRM export holds a handful
MOST_UNPACKED = 4 * 1024**3  # bytes the members unpack to, in all
MOST_RATIO = 100  # a member may unpack to at most this many times its packed size ...
RATIO_FROM = 1024**2  # ... once it passes 1 MB (a small file of repeated lines packs well)
MOST_DIRECTORY = MOST_MEMBERS * 1024  # bytes of the central directory, read whole by zipfile
CHUNK = 1 << 16
UNPACKED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"


def member_path(name: str) -> PurePosixPath | None:
    """Where a member named ``name`` lands under the folder it is unpacked into; None when it would land
    outside it (an absolute path, a drive, a ``..`` part) or has no name."""
    if "\0" in name:
        return None
    path = PurePosixPath(name.replace("\\", "/"))
    first = path.parts[0] if path.parts else ""
    if path.is_absolute() or ":" in first or any(part == ".." for part in path.parts):
        return None
    parts = [part for part in path.parts if part not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def is_link(info: zipfile.ZipInfo) -> bool:
    """A member stored as a symbolic link (its Unix mode, in the high bits of the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def declared_directory(handle: IO[bytes]) -> tuple[int, int] | None:
    """The members and central-directory bytes the archive's end record declares (None: no end record).

    Read before zipfile parses the directory, which it holds whole in memory."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    start = max(0, size - (22 + 0xFFFF))  # the end record, then a comment of at most 64 KB
    handle.seek(start)
    tail = handle.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        return None
    members, directory = struct.unpack("<H4xI", tail[at + 10 : at + 20])[0:2]
    locator = tail[at - 20 : at] if at >= 20 else b""
    if locator[:4] == _END64_LOCATOR:
        (offset,) = struct.unpack("<Q", locator[8:16])
        handle.seek(offset)
        record = handle.read(56)
        if record[:4] == _END64:
            members, directory = struct.unpack("<Q8xQ", record[32:56])
    return members, directory


class Unpacking:
    """One archive unpacked into ``scratch``: the files written so far, removed whole when a limit is crossed."""

    def __init__(self, archive: Path, scratch: Path) -> None:
        self.archive = archive
        self.scratch = scratch
        self.written: list[Path] = []
        self.made: list[Path] = []
        self.unpacked = 0

    def refuse(self, sentence: str, code: str) -> InvalidInput:
        self.clean()
        return InvalidInput(f"{self.archive.name}: {sentence}", code=code, field="file")

    def clean(self) -> None:
        for path in reversed(self.written):
            path.unlink(missing_ok=True)
        for folder in reversed(self.made):
            with contextlib.suppress(OSError):  # a folder something else also wrote into stays
                folder.rmdir()
        self.written, self.made = [], []

    def too_large(self, member: str) -> InvalidInput:
        return self.refuse(
            f"{member} would unpack beyond {MOST_UNPACKED:,} bytes (the most an import accepts); "
            "import its files one by one",
            "archive_too_large",
        )

    def too_packed(self, member: str) -> InvalidInput:
        return self.refuse(
            f"{member} unpacks to more than {MOST_RATIO} times its packed size (the most an import accepts "
            f"for a file over {RATIO_FROM:,} bytes): a zip bomb, refused",
            "archive_ratio",
        )

    def check(self, infos: list[zipfile.ZipInfo], wanted: Callable[[PurePosixPath], bool]) -> list[zipfile.ZipInfo]:
        """The members to unpack, each checked on what the headers declare; refused before anything is written."""
        if len(infos) > MOST_MEMBERS:
            raise self.refuse(
                f"it holds {len(infos):,} files, more than {MOST_MEMBERS:,} (the most an import accepts)",
                "archive_too_many_files",
            )
        chosen: list[zipfile.ZipInfo] = []
        declared = 0
        for info in infos:
            name = info.filename
            path = member_path(name)
            if path is None:
                raise self.refuse(f"{name} would unpack outside the archive's folder: refused", "archive_unsafe_path")
            if is_link(info):
                raise self.refuse(f"{name} is a symbolic link: refused", "archive_link")
            if info.is_dir() or not wanted(path):
                continue
            if info.flag_bits & 0x1:
                raise self.refuse(f"{name} is encrypted: export it again without a password", "archive_encrypted")
            if info.compress_type not in UNPACKED_METHODS:
                raise self.refuse(
                    f"{name} is compressed in a way Referly does not unpack (only stored or deflated members)",
                    "archive_compression",
                )
            if info.file_size > RATIO_FROM and info.file_size > MOST_RATIO * max(info.compress_size, 1):
                raise self.too_packed(name)
            declared += info.file_size
            if declared > MOST_UNPACKED:
                raise self.too_large(name)
            chosen.append(info)
        return chosen

    def stream(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """One member to disk in chunks, counting the bytes really unpacked against every limit."""
        path = member_path(info.filename)
        assert path is not None  # checked before
        target = self.scratch.joinpath(*path.parts)
        self._folders(target.parent)
        self.written.append(target)
        packed = max(info.compress_size, 1)
        size = 0
        try:
            with archive.open(info) as member, target.open("wb") as out:
                for chunk in iter(lambda: member.read(CHUNK), b""):
                    size += len(chunk)
                    self.unpacked += len(chunk)
                    if size > RATIO_FROM and size > MOST_RATIO * packed:
                        raise self.too_packed(info.filename)
                    if self.unpacked > MOST_UNPACKED:
                        raise self.too_large(info.filename)
                    out.write(chunk)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zipfile.LargeZipFile) as exc:
            raise self.refuse(
                f"{info.filename} cannot be unpacked ({exc}): the archive is damaged", "archive_damaged"
            ) from None
        except OSError as exc:
            raise self.refuse(
                f"{info.filename} cannot be unpacked ({exc.strerror or exc})", "archive_unwritable"
            ) from None

    def _folders(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists() and folder != self.scratch:
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self.made.append(made)


def unpack_zip(path: Path, scratch: Path, *, wanted: Callable[[PurePosixPath], bool] = lambda _: True) -> list[Path]:
    """Unpack the members of the zip at ``path`` that ``wanted`` keeps into ``scratch``; the files written.

    Refused with an ``InvalidInput`` naming the limit when the archive breaks one (see the module's
    constants); ``scratch`` is then left as it was."""
    unpacking = Unpacking(path, scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("rb") as handle:
            if not _directory_checked(handle, unpacking):
                raise InvalidInput(f"{path}: neither a folder nor a zip archive", code="not_an_archive")
            with zipfile.ZipFile(handle) as archive:
                for info in unpacking.check(archive.infolist(), wanted):
                    unpacking.stream(archive, info)
    except zipfile.BadZipFile:
        unpacking.clean()
        raise InvalidInput(f"{path}: neither a folder nor a zip archive", code="not_an_archive") from None
    except OSError as exc:
        unpacking.clean()
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})", code="unreadable_file") from None
    return list(unpacking.written)


def check_zip(path: Path) -> None:
    """Refuse a file made of a zip (an XLSX workbook) whose headers break a limit, before a reader opens it.

    Python's zipfile never unpacks more than a member declares, so the declared sizes bound what the
    reader will unpack. A file that is no zip at all is left for the reader to name."""
    try:
        with path.open("rb") as handle:
            if _directory_checked(handle, Unpacking(path, path.parent)):
                with zipfile.ZipFile(handle) as archive:
                    Unpacking(path, path.parent).check(archive.infolist(), lambda _: True)
    except (zipfile.BadZipFile, OSError):
        return


def _directory_checked(handle: IO[bytes], unpacking: Unpacking) -> bool:
    """False when the file has no zip end record; refused when it declares too many members to list."""
    declared = declared_directory(handle)
    if declared is None:
        return False
    members, directory = declared
    if members > MOST_MEMBERS:
        raise unpacking.refuse(
            f"it holds {members:,} files, more than {MOST_MEMBERS:,} (the most an import accepts)",
            "archive_too_many_files",
        )
    if directory > MOST_DIRECTORY:
        raise unpacking.refuse(
            f"its list of files takes {directory:,} bytes, more than {MOST_DIRECTORY:,} (the most an import accepts)",
            "archive_too_many_files",
        )
    handle.seek(0)
    return True


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int, *, ratio: int = MOST_RATIO, ratio_from: int = RATIO_FROM
) -> bytes:
    """The bytes of one member, read in chunks and counted as they come: ``ValueError`` names the limit it
    crosses (over ``most`` bytes, or over ``ratio`` times its packed size once past ``ratio_from``)."""
    packed = max(info.compress_size, 1)
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as member:
        for chunk in iter(lambda: member.read(CHUNK), b""):
            size += len(chunk)
            if size > most:
                raise ValueError(f"unpacks to over {most:,} bytes")
            if size > ratio_from and size > ratio * packed:
                raise ValueError(f"unpacks to over {ratio} times its packed size")
            chunks.append(chunk)
    return b"".join(chunks)
