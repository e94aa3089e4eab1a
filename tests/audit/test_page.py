"""Settings → Audit trail: admins only, newest first, filtered, paginated, in the reader's language, as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from referly.audit.models import AuditEvent
from referly.audit.trail import record
from tests.audit.conftest import events
from tests.personas import Team
from tests.web.conftest import logged_in, text_of
from tests.web.test_french_catalogue import _from_python, _from_template

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def seed(**fields: Any) -> AuditEvent:
    when = fields.pop("at")
    made = record(fields.pop("kind"), **fields)
    AuditEvent.objects.filter(pk=made.pk).update(at=when)
    return made


@pytest.fixture
def admin(client: Client, team: Team) -> Client:
    """Ada logged in, over a trail of four known events (her own login is not one of them)."""
    logged_in(client, team.admin)
    AuditEvent.objects.all().delete()
    seed(kind="login.failed", actor_label="mallory@evil.example", subject="wrong user name or password", at=at(3))
    seed(kind="export.tables", actor_label="ada.admin@northbeam.example", subject="referly-tables.zip", at=at(5))
    seed(kind="export.review", actor_label="maya.manager@northbeam.example", subject="review-2026-10.pdf", at=at(9))
    seed(kind="role.changed", actor_label="ada.admin@northbeam.example", subject='=HYPERLINK("http://x")', at=at(12))
    return client


def shown(client: Client, **query: str) -> list[str]:
    """The kinds on the page, top to bottom."""
    html = client.get(reverse("web:audit"), query).content.decode()
    return [row.split("<code>")[1].split("</code>")[0] for row in html.split('<tr id="event-')[1:]]


def test_only_admins_read_the_trail_and_its_csv(admin: Client, team: Team) -> None:
    for login in (team.manager, team.member, team.viewer):
        for name in ("web:audit", "web:audit_export"):
            assert logged_in(Client(), login).get(reverse(name)).status_code == 403, (login.role, name)
    assert Client().get(reverse("web:audit")).status_code == 302, "a visitor is sent to the login page"
    assert admin.get(reverse("web:audit")).status_code == 200
    assert 'id="audit-link"' in admin.get(reverse("web:settings")).content.decode()


def test_newest_first_and_each_filter(admin: Client, team: Team) -> None:
    assert shown(admin) == ["role.changed", "export.review", "export.tables", "login.failed"]
    assert shown(admin, kind="export.") == ["export.review", "export.tables"]
    assert shown(admin, kind="export") == ["export.review", "export.tables"]
    assert shown(admin, actor="ADA.admin") == ["role.changed", "export.tables"]
    assert shown(admin, since="2026-11-05", until="2026-11-09") == ["export.review", "export.tables"]
    assert shown(admin, q="review-2026") == ["export.review"]
    assert shown(admin, kind="logout") == []


def test_a_bad_date_is_said_at_its_field_in_french(admin: Client, team: Team) -> None:
    answer = admin.get(reverse("web:audit"), {"since": "yesterday"}, HTTP_ACCEPT_LANGUAGE="fr")
    html = answer.content.decode()
    assert answer.status_code == 422
    assert "n’est pas une date comme 2026-12-31" in html and 'id="audit-since"' in html
    assert 'aria-invalid="true"' in html.split('id="audit-since"')[1].split(">")[0]
    backwards = admin.get(reverse("web:audit"), {"since": "2026-11-09", "until": "2026-11-01"})
    assert "The first day comes after the last one" in backwards.content.decode()


def test_the_page_is_in_french_with_french_numbers_and_dates(admin: Client, team: Team) -> None:
    for n in range(1, 1200):  # past a thousand: grouped the French way
        AuditEvent(kind="portal.opened", at=at(20), actor_label=f"sponsor link #{n}").save()
    page = text_of(admin.get(reverse("web:audit"), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Journal d’audit" in page and "1 203 événements" in page.replace("\u202f", " ").replace("\xa0", " ")
    assert "20/11/2026" in page, "a French short date"
    assert "Page 1 sur 13" in page


def test_pages_of_a_hundred(admin: Client, team: Team) -> None:
    AuditEvent.objects.bulk_create(AuditEvent(kind="portal.opened", at=at(20), actor_label=f"#{n}") for n in range(150))
    assert len(shown(admin)) == 100
    assert len(shown(admin, page="2")) == 54


def test_the_csv_holds_the_filtered_events_neutralised_and_is_itself_recorded(admin: Client, team: Team) -> None:
    answer = admin.get(reverse("web:audit_export"), {"actor": "ada.admin"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["at", "kind", "actor", "ip", "subject", "detail"]
    kinds = [r[1] for r in rows[1:]]
    assert kinds == ["export.audit", "role.changed", "export.tables"], "the export itself comes first: it is newest"
    formula = rows[2][4]
    assert formula == '\'=HYPERLINK("http://x")', "a cell a spreadsheet would run is quoted"
    [exported] = events("export.audit")
    assert exported.actor == team.admin.user and exported.detail == {"events": 2, "actor": "ada.admin"}


@pytest.mark.parametrize("path", ["web/templates/web/audit.html", "audit/queries.py"])
def test_every_sentence_of_the_page_is_in_french(path: str) -> None:
    from pathlib import Path

    from django.utils.translation import trans_real

    import referly

    text = (Path(referly.__file__).parent / path).read_text(encoding="utf-8")
    found = _from_python(text) if path.endswith(".py") else _from_template(text)
    catalogue = trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
    missing = [
        one
        for one, many in found
        if not (catalogue.get(one) if many is None else catalogue.get((one, 0)) and catalogue.get((one, 1)))
    ]
    assert found and not missing
