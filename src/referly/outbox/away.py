"""The return date an out-of-office message gives, in English or French ("back on 14 December", "de retour le
14/12", "absent jusqu'au 13 décembre inclus"), read relative to the message's own date (pure)."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    **{
        name: n
        for n, names in enumerate(
            (
                ("january", "jan"),
                ("february", "feb"),
                ("march", "mar"),
                ("april", "apr"),
                ("may",),
                ("june", "jun"),
                ("july", "jul"),
                ("august", "aug"),
                ("september", "sept", "sep"),
                ("october", "oct"),
                ("november", "nov"),
                ("december", "dec"),
            ),
            1,
        )
        for name in names
    },
    **{
        name: n
        for n, names in enumerate(
            (
                ("janvier", "janv"),
                ("février", "fevrier", "févr", "fevr", "fév", "fev"),
                ("mars",),
                ("avril", "avr"),
                ("mai",),
                ("juin",),
                ("juillet", "juil"),
                ("août", "aout"),
                ("septembre",),
                ("octobre",),
                ("novembre",),
                ("décembre", "decembre", "déc", "dec"),
            ),
            1,
        )
        for name in names
    },
}
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_DAY = r"(?:[012]?\d|3[01])"
_ORDINAL = r"(?:st|nd|rd|th|er|e|ème)?"
# "14 December [2026]", "14th of December", "14 déc.", "December 14th[, 2026]", "14/12[/2026]", "14.12.", "14-12"
_DATES = re.compile(
    rf"\b(?:(?P<d1>{_DAY}){_ORDINAL}\s+(?:of\s+)?(?P<m1>{_MONTH})\.?(?:\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>{_DAY}){_ORDINAL}(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<d3>{_DAY})[/.\-](?P<m3>[01]?\d)(?:[/.\-](?P<y3>\d{{4}}|\d{{2}}))?)(?![\d/])",
    re.IGNORECASE,
)
# The words that announce a return (the date is the first day back) or the last day away ("until").
_BACK = re.compile(
    r"\b(?:back|return(?:ing|s)?|in the office|de retour|retour|revien[st]|reviendrai"
    r"|à partir du|a partir du|dès le)\b",
    re.IGNORECASE,
)
_UNTIL = re.compile(r"\b(?:until|till|through|jusqu['’]au|jusqu['’]à|jusqu['’]a)\b", re.IGNORECASE)
_INCLUSIVE = re.compile(r"^\W{0,3}(?:inclus|inclusive|included)\b", re.IGNORECASE)
WINDOW = 60  # characters after a trigger word in which its date must be
HORIZON = 366  # days: a return date further than this from the message is not believed


def return_date(text: str, sent_on: date) -> date | None:
    """The first day back the text announces, on or after ``sent_on``; None when it names none.

    "until X" (or "jusqu'au X") reads as back on X, unless followed by "inclusive" / "inclus": then X + 1.
    A date without a year is the next such date on or after ``sent_on``.
    """
    triggers = sorted(
        [(m.end(), False) for m in _BACK.finditer(text)] + [(m.end(), True) for m in _UNTIL.finditer(text)]
    )
    for end, until in triggers:
        window = text[end : end + WINDOW]
        for found in _DATES.finditer(window):
            day = _date(found, sent_on)
            if day is None:
                continue
            if until and _INCLUSIVE.match(window[found.end() :]):
                day += timedelta(days=1)
            return day
    return None


def _date(found: re.Match[str], sent_on: date) -> date | None:
    groups = found.groupdict()
    if groups["d1"]:
        day, month, year = int(groups["d1"]), MONTHS[groups["m1"].lower()], groups["y1"]
    elif groups["d2"]:
        day, month, year = int(groups["d2"]), MONTHS[groups["m2"].lower()], groups["y2"]
    else:
        day, month, year = int(groups["d3"]), int(groups["m3"]), groups["y3"]
        if month > 12 and day <= 12:  # 12/14: written month first
            day, month = month, day
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        found_on = _valid(full, month, day)
        if found_on is None or not sent_on <= found_on <= sent_on + timedelta(days=HORIZON):
            return None
        return found_on
    for full in (sent_on.year, sent_on.year + 1):
        found_on = _valid(full, month, day)
        if found_on is not None and found_on >= sent_on:
            return found_on
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
