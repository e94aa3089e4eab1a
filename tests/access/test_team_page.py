"""Settings → Team: an admin gives teammates their e-mail and their login, in the browser's own forms."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from referly.access.services import actor_for
from referly.crm.models import Teammate
from referly.crm.services import add_record


def admin_client(team: Any) -> Client:
    client = Client()
    client.force_login(team.admin.user)
    return client


def test_settings_links_to_the_team_and_no_longer_sends_admins_to_the_command_line(team: Any) -> None:
    page = admin_client(team).get(reverse("web:settings")).content.decode()
    assert reverse("web:team") in page
    assert "referly user create" not in page


def test_the_team_page_lists_each_teammate_with_email_login_and_role(team: Any) -> None:
    add_record(Teammate(name="Ana Lopez"))
    page = admin_client(team).get(reverse("web:team")).content.decode()
    for login in team.all():
        assert login.teammate.name in page and login.user.username in page
    ana = Teammate.objects.get(name="Ana Lopez")
    row = page[page.index(f'id="teammate-{ana.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "No login: create or link one" in row and 'placeholder="no e-mail"' in row


def test_an_email_is_checked_and_unique_and_shown_next_to_its_field(team: Any) -> None:
    ana = add_record(Teammate(name="Ana Lopez"))
    client = admin_client(team)
    bad = client.post(reverse("web:team_email", args=[ana.pk]), {"email": "ana at ourco"})
    assert bad.status_code == 422
    assert 'aria-invalid="true" aria-describedby="email-error-' in bad.content.decode()
    assert "is not an e-mail address" in bad.content.decode()
    taken = client.post(reverse("web:team_email", args=[ana.pk]), {"email": team.member.email})
    assert taken.status_code == 409 and "Mo Member already has the e-mail" in taken.content.decode()
    saved = client.post(reverse("web:team_email", args=[ana.pk]), {"email": "Ana@OurCo.example"})
    assert saved.status_code == 302
    ana.refresh_from_db()
    assert ana.email == "ana@ourco.example"


def test_a_login_made_on_the_page_is_the_teammate_and_its_password_is_shown_once(team: Any) -> None:
    ana = add_record(Teammate(name="Ana Lopez"))
    client = admin_client(team)
    refused = client.post(reverse("web:team_login", args=[ana.pk]), {"role": "member"})
    assert refused.status_code == 422 and "has no e-mail yet" in refused.content.decode()
    made = client.post(reverse("web:team_login", args=[ana.pk]), {"role": "member", "email": "ana@ourco.example"})
    assert made.status_code == 200
    password = re.search(r'<code id="new-password">([^<]+)</code>', made.content.decode())
    assert password is not None
    user = User.objects.get(username="ana@ourco.example")
    assert actor_for(user).teammate_id == ana.pk
    assert user.check_password(password.group(1))
    again = client.get(reverse("web:team")).content.decode()
    assert password.group(1) not in again  # shown once


def test_an_existing_login_is_linked_and_its_role_changed_on_the_page(team: Any) -> None:
    ana = add_record(Teammate(name="Ana Lopez"))
    stray = User.objects.create_user("stray@ourco.example", "stray@ourco.example", "x-long-password-1")
    client = admin_client(team)
    linked = client.post(reverse("web:team_link", args=[ana.pk]), {"user": str(stray.pk)})
    assert linked.status_code == 302
    ana.refresh_from_db()
    assert ana.user_id == stray.pk and ana.email == "stray@ourco.example"
    taken = client.post(reverse("web:team_link", args=[team.member.teammate.pk]), {"user": str(stray.pk)})
    assert taken.status_code == 409 and "already has the login" in taken.content.decode()
    role = client.post(reverse("web:team_role", args=[ana.pk]), {"role": "manager"})
    assert role.status_code == 302
    assert actor_for(stray).role.value == "manager"
    last_admin = client.post(reverse("web:team_role", args=[team.admin.teammate.pk]), {"role": "member"})
    assert last_admin.status_code == 409 and "only admin" in last_admin.content.decode()


def test_the_team_page_in_french(team: Any) -> None:
    add_record(Teammate(name="Ana Lopez"))
    client = admin_client(team)
    page = client.get(reverse("web:team"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Équipe</h1>" in page and "Créer un accès" in page
