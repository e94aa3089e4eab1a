"""Untrusted archives and files: a zip bomb, a lying header, a path outside, a link, a line without end.

Each test builds the attack for real and runs it the way a user would (``referly import`` or the import
page); the refusal names the limit, nothing is imported and nothing is left unpacked.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import Result
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from referly.crm.models import Account
from referly.errors import InvalidInput
from referly.ingest import archive as archive_module
from referly.ingest.archive import member_path, unpack_zip
from tests.conftest import ROOT
from tests.personas import Team
from tests.web.conftest import logged_in, text_of

HEADER = b"Record ID,Company name\n"
COMPANIES = "hubspot-crm-exports-all-companies-2024.csv"


def bomb(path: Path, size: int, member: str = COMPANIES) -> Path:
    """A zip holding one CSV of ``size`` bytes that are nearly all zeros: it packs about 1,000 to 1."""
    zeros = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=size > 2**31) as out,
    ):
        out.write(HEADER + b"1,")
        for _ in range(size >> 20):
            out.write(zeros)
    return path


def lying(path: Path, size: int, declared: int) -> Path:
    """A zip whose headers (local and central) say its one member unpacks to ``declared`` bytes, not ``size``."""
    bomb(path, size)
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def zip_of(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the import unpacks under (the system's temporary folder, moved here to be looked at)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def left_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_by_the_import_before_it_is_unpacked(
    cli: Callable[..., Result], tmp_path: Path, scratch_root: Path
) -> None:
    export = bomb(tmp_path / "export.zip", 50 << 20)
    assert export.stat().st_size < 200_000, "50 MB packed to a few dozen KB"
    result = cli("import", str(export), "--preset", "hubspot")
    assert result.exit_code == 2, result.output
    assert f"export.zip: {COMPANIES} unpacks to more than 100 times its packed size" in result.output
    assert "zip bomb, refused" in result.output and "Traceback" not in result.output
    assert not Account.objects.exists()
    assert left_in(scratch_root) == []


@pytest.mark.django_db
def test_a_zip_that_lies_about_its_size_is_refused_as_damaged_after_its_declared_bytes(
    cli: Callable[..., Result], tmp_path: Path, scratch_root: Path
) -> None:
    export = lying(tmp_path / "export.zip", 20 << 20, declared=2_000)
    with zipfile.ZipFile(export) as archive:
        assert archive.infolist()[0].file_size == 2_000, "the headers say 2,000 bytes"
    result = cli("import", str(export), "--preset", "hubspot")
    assert result.exit_code == 2, result.output
    assert f"export.zip: {COMPANIES} cannot be unpacked" in result.output
    assert "the archive is damaged" in result.output and "Traceback" not in result.output
    assert not Account.objects.exists()
    assert left_in(scratch_root) == []


def test_the_bytes_really_unpacked_are_counted_and_a_crossed_limit_leaves_the_scratch_folder_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = zip_of(tmp_path / "export.zip", {"crm/a.csv": b"x" * 300_000, "crm/b.csv": b"y" * 300_000})
    monkeypatch.setattr(archive_module, "MOST_UNPACKED", 500_000)
    # Headers that pass whatever they say: only the count taken while unpacking can stop it.
    monkeypatch.setattr(archive_module.Unpacking, "check", lambda self, infos, wanted: infos)
    scratch = tmp_path / "scratch"
    with pytest.raises(InvalidInput) as refused:
        unpack_zip(export, scratch)
    assert refused.value.code == "archive_too_large"
    assert str(refused.value) == (
        "export.zip: crm/b.csv would unpack beyond 500,000 bytes (the most an import accepts); "
        "import its files one by one"
    )
    assert list(scratch.rglob("*")) == [], "crm/a.csv, unpacked first, is removed with its folder"

    monkeypatch.setattr(archive_module, "MOST_UNPACKED", 4 << 30)
    monkeypatch.setattr(archive_module, "RATIO_FROM", 100_000)
    with pytest.raises(InvalidInput) as packed:
        unpack_zip(export, scratch)
    assert packed.value.code == "archive_ratio" and "crm/a.csv unpacks to more than 100 times" in str(packed.value)
    assert list(scratch.rglob("*")) == []


@pytest.mark.django_db
def test_too_many_members_a_path_outside_a_link_or_bzip2_refuse_the_archive(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "MOST_MEMBERS", 5)
    many = zip_of(tmp_path / "many.zip", {f"accounts-{n}.csv": b"name\nA\n" for n in range(6)})
    result = cli("import", str(many))
    assert result.exit_code == 2 and "many.zip: it holds 6 files, more than 5 (the most an import accepts)" in (
        result.output
    )

    outside = zip_of(tmp_path / "outside.zip", {"accounts.csv": b"name\nA\n", "../../evil/accounts.csv": b"name\nB\n"})
    result = cli("import", str(outside))
    assert result.exit_code == 2
    assert "outside.zip: ../../evil/accounts.csv would unpack outside the archive's folder: refused" in result.output
    assert not (tmp_path.parent / "evil").exists() and not Account.objects.exists()

    linked = tmp_path / "linked.zip"
    with zipfile.ZipFile(linked, "w") as archive:
        link = zipfile.ZipInfo("accounts.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    result = cli("import", str(linked))
    assert result.exit_code == 2 and "linked.zip: accounts.csv is a symbolic link: refused" in result.output

    packed = zip_of(tmp_path / "packed.zip", {"accounts.csv": b"name\nA\n"}, compression=zipfile.ZIP_BZIP2)
    result = cli("import", str(packed))
    assert result.exit_code == 2 and "only stored or deflated members" in result.output
    assert not Account.objects.exists()


def test_only_the_files_an_import_reads_are_unpacked(tmp_path: Path) -> None:
    export = zip_of(
        tmp_path / "export.zip",
        {"crm/accounts.csv": b"name\nA\n", "attachments/contract.pdf": b"%PDF" + bytes(2 << 20), "crm/": b""},
    )
    from referly.ingest.importer import unpack

    folder = unpack(export, tmp_path / "scratch")
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == ["crm/accounts.csv"]


PARTS = st.sampled_from(["..", ".", "", "a", "b.csv", "C:", "~", "..."])


@given(st.one_of(st.text(), st.lists(PARTS).map("/".join), st.lists(PARTS).map("\\".join)), st.booleans())
def test_a_member_path_never_lands_outside_the_folder_it_is_unpacked_into(name: str, leading: bool) -> None:
    name = ("/" + name) if leading else name
    path = member_path(name)
    if path is None:
        return
    assert isinstance(path, PurePosixPath) and not path.is_absolute() and ".." not in path.parts
    base = "/scratch/unpacked"
    landed = os.path.normpath(os.path.join(base, *path.parts))
    assert landed.startswith(base + "/"), (name, landed)


def test_safe_member_names_are_kept_as_they_are() -> None:
    assert member_path("crm/deals.csv") == PurePosixPath("crm/deals.csv")
    assert member_path("crm\\deals.csv") == PurePosixPath("crm/deals.csv")
    assert member_path("./crm//deals.csv") == PurePosixPath("crm/deals.csv")
    for unsafe in ("/etc/passwd", "../deals.csv", "crm/../../deals.csv", "C:/deals.csv", "C:deals.csv", "", "a\0b"):
        assert member_path(unsafe) is None, unsafe


@pytest.mark.django_db
def test_a_line_or_a_value_beyond_its_limit_is_named_with_its_file_and_line(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    endless = tmp_path / "accounts.csv"
    endless.write_bytes(b"name,domain\nAcme,acme.example\n" + b"x" * (3 << 20) + b"\nZeta,zeta.example\n")
    result = cli("import", "accounts", str(endless))
    assert result.exit_code == 2, result.output
    assert (
        "accounts.csv line 3 is longer than 1,048,576 characters, the most a line of a file may hold" in result.output
    )
    assert not Account.objects.exists()

    wide = tmp_path / "wide.csv"
    wide.write_text('name,domain\nAcme,acme.example\n"' + "y" * 200_000 + '",wide.example\nZeta,zeta.example\n')
    errors = tmp_path / "errors.csv"
    result = cli("import", "accounts", str(wide), "--errors", str(errors))
    assert result.exit_code == 0, result.output
    assert "a value is longer than 131,072 characters, the most a value may hold" in errors.read_text()
    assert set(Account.objects.values_list("domain", flat=True)) == {"acme.example", "zeta.example"}


def test_a_workbook_that_is_a_zip_bomb_is_refused_before_openpyxl_opens_it(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from referly.ingest.readers import read_table

    book = Workbook()
    book.active.append(["name", "domain"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    swollen = tmp_path / "accounts.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(swollen, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("xl/media/padding.bin", bytes(20 << 20))
    with pytest.raises(InvalidInput) as refused:
        read_table(swollen)
    assert refused.value.code == "archive_ratio" and "xl/media/padding.bin" in str(refused.value)
    assert read_table(plain).columns == ["name", "domain"]


@pytest.mark.django_db
def test_the_import_page_refuses_the_same_zip_with_the_sentence_next_to_the_file(
    client: Client, team: Team, tmp_path: Path
) -> None:
    export = bomb(tmp_path / "export.zip", 50 << 20)
    page = logged_in(client, team.manager).post(
        reverse("web:import"),
        {"file": SimpleUploadedFile("export.zip", export.read_bytes(), content_type="application/zip")},
    )
    assert page.status_code == 422
    shown = text_of(page.content.decode())
    assert f"export.zip: {COMPANIES} unpacks to more than 100 times its packed size" in shown
    assert 'aria-invalid="true"' in page.content.decode()
    assert not Account.objects.exists()


PEAK = """
import resource, sys
from referly.cli import main
try:
    main(sys.argv[1:])
finally:
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def test_the_attack_of_an_800_mb_csv_in_an_815_kb_zip_is_refused_in_bounded_memory(
    tmp_path: Path, scratch_database: dict[str, str]
) -> None:
    """The finding as it was found: before, it peaked at 4.1 GB of memory. Now the import process grows
    by less than 200 MB over the same import of a small export (a bound, not a timing)."""
    export = bomb(tmp_path / "export.zip", 800 << 20)
    assert export.stat().st_size < 1_000_000
    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w") as archive:
        for path in sorted((ROOT / "tests" / "ingest" / "samples" / "hubspot").iterdir()):
            archive.write(path, path.name)

    def peak_of(path: Path) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
        done = subprocess.run(
            [sys.executable, "-c", PEAK, "import", str(path), "--preset", "hubspot"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**env, **scratch_database, "TMPDIR": str(tmp_path)},
            timeout=600,
            check=False,
        )
        found = re.search(r"peak (\d+)", done.stderr)
        assert found is not None, done.stdout + done.stderr
        return int(found.group(1)) * 1024, done.stdout + done.stderr

    baseline, _ = peak_of(small)
    peak, said = peak_of(export)
    assert "unpacks to more than 100 times its packed size" in said and "Traceback" not in said
    assert peak - baseline < 200 << 20, f"grew by {(peak - baseline) >> 20} MB"
    assert not [p for p in tmp_path.rglob("referly-import-*")], "the scratch folder is gone"


def test_every_refusal_is_an_invalid_input_with_its_own_code(tmp_path: Path) -> None:
    not_zip = tmp_path / "export.zip"
    not_zip.write_bytes(b"name\nA\n")
    with pytest.raises(InvalidInput) as refused:
        unpack_zip(not_zip, tmp_path / "scratch")
    assert refused.value.code == "not_an_archive" and "neither a folder nor a zip archive" in str(refused.value)
    codes: dict[str, Any] = {}
    for name, members, compression in (
        ("outside", {"/abs.csv": b"a"}, zipfile.ZIP_STORED),
        ("lzma", {"a.csv": b"a"}, zipfile.ZIP_LZMA),
    ):
        with pytest.raises(InvalidInput) as caught:
            unpack_zip(zip_of(tmp_path / f"{name}.zip", members, compression), tmp_path / name)
        codes[name] = caught.value.code
    assert codes == {"outside": "archive_unsafe_path", "lzma": "archive_compression"}


def test_the_calendar_zip_reader_refuses_a_link_bzip2_a_lying_member_and_a_crowded_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referly.capture.calendar import read_ics
    from referly.capture.summary import CaptureError

    event = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    export = tmp_path / "Calendar-export.zip"
    with zipfile.ZipFile(export, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("good.ics", event)
        link = zipfile.ZipInfo("link.ics")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("packed.ics", event, compress_type=zipfile.ZIP_BZIP2)
        archive.writestr("lying.ics", event + b"X" * 5_000_000)
    data = bytearray(export.read_bytes())
    at = data.index(b"PK\x01\x02")  # the central directory, then its entry for lying.ics
    while data[at + 46 : at + 46 + 9] != b"lying.ics":
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")  # it says 100 bytes
    export.write_bytes(bytes(data))

    found = {
        (item.where if isinstance(item, CaptureError) else item[0]).rsplit("!", 1)[1]: (
            item.reason if isinstance(item, CaptureError) else len(item[1])
        )
        for item in read_ics([export])
    }
    assert found["good.ics"] == len(event)
    assert found["link.ics"] == "a symbolic link: refused"
    assert "does not unpack" in str(found["packed.ics"])
    assert "cannot be unpacked" in str(found["lying.ics"]) and "CRC" in str(found["lying.ics"])

    monkeypatch.setattr("referly.capture.calendar.MOST_MEMBERS", 3)
    (crowded,) = list(read_ics([export]))
    assert isinstance(crowded, CaptureError) and crowded.reason == "holds more than 3 files: not a calendar export"
