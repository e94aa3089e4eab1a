"""Uploaded import files, kept in a private temporary folder between the preview and the commit.

The session holds only the upload's random key, its file name, kind and preset; the file itself lives
under the system's temporary folder and is deleted once committed or replaced.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from referly.errors import InvalidInput, NotFound

SESSION_KEY = "referly_import"
SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".zip"}
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    key: str
    name: str
    kind: str  # "" for a zip of several files
    preset: str
    strict: bool

    @property
    def path(self) -> Path:
        return folder() / self.key / self.name


def folder() -> Path:
    found = Path(tempfile.gettempdir()) / "referly-uploads"
    found.mkdir(mode=0o700, exist_ok=True)
    return found


def safe_name(name: str) -> str:
    base = Path(name).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload"
    return cleaned[-120:]


def keep(file: UploadedFile, kind: str, preset: str, strict: bool) -> Upload:
    """Store an uploaded file for its preview and commit."""
    name = safe_name(file.name or "upload")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise InvalidInput(
            f"The file {name} is not a CSV, TSV, XLSX, Parquet or zip file", field="file", code="unreadable_file"
        )
    if file.size is not None and file.size > MAX_BYTES:
        raise InvalidInput(
            f"The file {name} is larger than {MAX_BYTES // (1024 * 1024)} MB", field="file", code="file_too_large"
        )
    upload = Upload(secrets.token_urlsafe(16), name, kind, preset, strict)
    upload.path.parent.mkdir(mode=0o700)
    with upload.path.open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    return upload


def remember(session: Any, upload: Upload) -> None:
    forget(session)
    session[SESSION_KEY] = asdict(upload)


def recall(session: Any, key: str) -> Upload:
    """The upload this session previewed under ``key``; refused when it is another or gone."""
    stored = session.get(SESSION_KEY)
    if not stored or stored.get("key") != key:
        raise NotFound("This upload is no longer waiting: upload the file again")
    upload = Upload(**stored)
    if not upload.path.is_file():
        raise NotFound("The uploaded file is gone: upload it again")
    return upload


def forget(session: Any) -> None:
    stored = session.pop(SESSION_KEY, None)
    if stored and re.fullmatch(r"[A-Za-z0-9_-]+", str(stored.get("key", ""))):
        shutil.rmtree(folder() / stored["key"], ignore_errors=True)
