"""LinkedIn's ``Connections.csv``, read: pure, text in, connections and named errors out.

The file comes from LinkedIn's "Get a copy of your data" export. It opens with a few ``Notes:`` lines
(why most e-mail addresses are missing) and a blank line, then the header
``First Name,Last Name,URL,Email Address,Company,Position,Connected On`` and one row per connection,
dated like ``05 Dec 2026``. Older exports have no notes and no URL column, so columns are found by
their names. A row with no name or no real date is a ``CaptureError`` naming its line; a file with no
header line is refused with one sentence naming it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from referly.capture.summary import CaptureError
from referly.errors import InvalidInput

HEADER = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")
REQUIRED = ("First Name", "Last Name", "Company", "Connected On")
FIRST_DAY = date(2003, 5, 5)  # LinkedIn opened that day: no connection is older
MONTHS = {
    m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([a-z]{3})[a-z]*\.?[ -](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class LinkedInConnection:
    line: int
    first_name: str
    last_name: str
    email: str  # empty unless the person lets connections see it
    company: str
    position: str
    url: str
    connected_on: date


@dataclass
class Export:
    connections: list[LinkedInConnection] = field(default_factory=list)
    errors: list[CaptureError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.connections) + len(self.errors)


def decode(raw: bytes) -> str:
    """LinkedIn writes UTF-8 (with a byte-order mark or not); a file saved again by Excel may be Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse(text: str, file: str, today: date) -> Export:
    """Every row of the export after its header; ``InvalidInput`` when there is no header to find."""
    reader = csv.reader(io.StringIO(text.replace("\0", "")))
    columns: dict[str, int] | None = None
    export = Export()
    end = 0  # the line the previous row ended on: a quoted field may span lines
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if columns is None:
                columns = _header(cells, file)
                continue
            found = _row(cells, columns, f"{file} line {line}", line, today)
            if isinstance(found, CaptureError):
                export.errors.append(found)
            else:
                export.connections.append(found)
    except csv.Error as exc:
        raise InvalidInput(f"{file} line {end + 1} is not CSV ({exc}): is it LinkedIn's Connections.csv?") from None
    if columns is None:
        raise InvalidInput(
            f"{file} is not LinkedIn's Connections.csv: it has no header line {','.join(HEADER)}",
            code="linkedin_no_header",
        )
    return export


def _header(cells: list[str], file: str) -> dict[str, int] | None:
    """The columns, when this line is the header; None for a line of the notes before it."""
    names = [c.lstrip("\ufeff").casefold() for c in cells]
    if "first name" not in names or "last name" not in names:
        return None
    columns = {h: names.index(h.casefold()) for h in HEADER if h.casefold() in names}
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        raise InvalidInput(
            f"{file}: the header has no {', '.join(missing)} column; LinkedIn's Connections.csv has {','.join(HEADER)}",
            code="linkedin_no_header",
        )
    return columns


def _row(
    cells: list[str], columns: dict[str, int], where: str, line: int, today: date
) -> LinkedInConnection | CaptureError:
    def cell(name: str) -> str:
        at = columns.get(name)
        return cells[at] if at is not None and at < len(cells) else ""

    first, last = cell("First Name"), cell("Last Name")
    if not first and not last:  # a member who left LinkedIn or hides their name
        return CaptureError(where, "First Name", "no name")
    raw = cell("Connected On")
    try:
        connected_on = connection_date(raw, today)
    except ValueError as exc:
        return CaptureError(where, "Connected On", str(exc))
    return LinkedInConnection(
        line=line,
        first_name=first[:100],
        last_name=last[:100],
        email=cell("Email Address"),
        company=cell("Company"),
        position=cell("Position")[:200],
        url=cell("URL"),
        connected_on=connected_on,
    )


def connection_date(text: str, today: date) -> date:
    """'05 Dec 2026' (LinkedIn's form) or '2026-12-05'; ``ValueError`` saying why for anything else."""
    value = text.strip().casefold()
    if not value:
        raise ValueError("missing")
    matched = _DAY_MONTH_YEAR.fullmatch(value)
    try:
        if matched and matched[2] in MONTHS:
            day = date(int(matched[3]), MONTHS[matched[2]], int(matched[1]))
        elif iso := _ISO.fullmatch(value):
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        else:
            raise ValueError
    except ValueError:
        raise ValueError(f"not a date: {text.strip()[:40]!r}") from None
    if not FIRST_DAY <= day <= today:
        raise ValueError(f"impossible date {day.isoformat()}")
    return day
