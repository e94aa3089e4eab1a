"""The daily digest: per teammate, once per local day at their morning hour, what needs them, by mail.

A teammate gets one when they have an e-mail, a login and the digest on (the default). Its items are the
notices not yet mailed (after what is new has been told, ``news.tell_news``); an empty digest is not sent.
The worker calls ``send_due`` on every pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.template.loader import render_to_string

from referly import config, mail
from referly.crm.models import Teammate
from referly.errors import ReferlyError
from referly.notices.models import DigestChoice, Notice, NoticeKind
from referly.notices.news import tell_news
from referly.notices.wording import DIGEST, SECTIONS, language_of
from referly.scoring.config import load_settings
from referly.scoring.queries import latest_run

ORDER = [k.value for k in NoticeKind]


@dataclass(frozen=True)
class Digest:
    teammate: Teammate
    day: date  # the teammate's local day it is for
    notices: list[Notice]
    subject: str
    text: str
    html: str


def zone(name: str) -> ZoneInfo:
    """The named time zone, else REFERLY_TIME_ZONE, else UTC."""
    for candidate in (name, config.TIME_ZONE.value(), "UTC"):
        try:
            return ZoneInfo(candidate) if candidate else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def due_day(choice: DigestChoice, now: datetime) -> date | None:
    """The local day whose digest is due now, or None (off, before the hour, or already made today). Pure."""
    if not choice.enabled:
        return None
    local = now.astimezone(zone(choice.time_zone))
    if local.hour < choice.hour or choice.last_sent_on == local.date():
        return None
    return local.date()


def choice_of(teammate: Teammate) -> DigestChoice:
    """The teammate's digest choice, or the default one (on, 8 o'clock, the team's time zone) unsaved."""
    found = DigestChoice.objects.filter(teammate=teammate).first()
    return found or DigestChoice(teammate=teammate)


def readers() -> list[Teammate]:
    """Teammates a digest can reach: active, with an e-mail and a login."""
    return list(
        Teammate.objects.filter(is_active=True, user__isnull=False, email__isnull=False)
        .exclude(email="")
        .select_related("digest_choice")
        .order_by("pk")
    )


def link(path: str) -> str:
    return config.BASE_URL.value().rstrip("/") + path


def compose(teammate: Teammate, day: date, notices: list[Notice], language: str) -> Digest:
    """The digest's subject, text and HTML (escaped by the template engine) for ``notices``."""
    words = DIGEST[language_of(language)]
    titles = SECTIONS[language_of(language)]
    ordered = sorted(notices, key=lambda n: (ORDER.index(n.kind) if n.kind in ORDER else len(ORDER), n.pk))
    sections: list[dict[str, object]] = []
    for n in ordered:
        if not sections or sections[-1]["kind"] != n.kind:
            sections.append({"kind": n.kind, "title": titles.get(n.kind, n.kind), "items": []})
        items = sections[-1]["items"]
        assert isinstance(items, list)
        items.append({"text": n.text, "link": link(n.url) if n.url else ""})
    count = len(notices)
    subject = words["subject_one"] if count == 1 else words["subject_many"].format(n=count)
    context = {
        "hello": words["hello"].format(name=teammate.name),
        "intro": words["intro"],
        "open": words["open"],
        "all_label": words["all"],
        "all_link": link("/notices/"),
        "settings_label": words["settings"],
        "settings_link": link("/settings/mail/"),
        "sections": sections,
        "language": language_of(language),
    }
    text = render_to_string("notices/digest.txt", context)
    html = render_to_string("notices/digest.html", context)
    return Digest(teammate, day, ordered, subject, text, html)


def build(teammate: Teammate, choice: DigestChoice, day: date, now: datetime, moment_days: dict[str, int]) -> Digest:
    """Tell what is new, then the digest of every notice not mailed yet (in the caller's transaction)."""
    language = language_of(choice.language)
    tell_news(teammate, language, now, latest_run(), moment_days)
    notices = list(Notice.objects.filter(teammate=teammate, mailed_at__isnull=True).order_by("created_at", "pk"))
    return compose(teammate, day, notices, language)


def moment_windows() -> dict[str, int]:
    """Each moment rule's window in days, from the scoring settings in force."""
    return {rule.kind: rule.days for rule in load_settings().moments}


def message_of(digest: Digest) -> EmailMessage:
    teammate = digest.teammate
    return mail.compose((teammate.name, teammate.email or ""), digest.subject, digest.text, digest.html)


def send_due(now: datetime) -> dict[str, int]:
    """Send every digest whose local hour has come: one teammate per transaction, the mail after the commit.

    Counts: ``due`` (digests made), ``sent``, ``empty`` (nothing to tell: not sent) and ``failed`` (the SMTP
    server refused: tried again on the next pass, the notices stay unmailed and in the app).
    """
    counts = {"due": 0, "sent": 0, "empty": 0, "failed": 0}
    windows: dict[str, int] | None = None
    for teammate in readers():
        choice = choice_of(teammate)
        day = due_day(choice, now)
        if day is None:
            continue
        windows = moment_windows() if windows is None else windows
        counts["due"] += 1
        try:
            with transaction.atomic():
                digest = build(teammate, choice, day, now, windows)
                if not digest.notices:
                    counts["empty"] += 1
                    _made(choice, day)
                    continue
                message = message_of(digest)
            mail.send(message)
        except ReferlyError:
            counts["failed"] += 1
            continue
        with transaction.atomic():
            Notice.objects.filter(pk__in=[n.pk for n in digest.notices]).update(mailed_at=now)
            _made(choice, day)
        counts["sent"] += 1
    return counts


def _made(choice: DigestChoice, day: date) -> None:
    """Remember the digest of ``day`` is done (sent, or nothing to tell), so it is made once per local day."""
    choice.last_sent_on = day
    choice.save()
