"""Today: my actions with their script, and one click that logs the ask and creates the referral."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from referly.referrals.models import Ask, Referral
from tests.web.conftest import Company, logged_in

pytestmark = pytest.mark.django_db


def test_a_member_sees_their_actions_with_why_and_the_script(client: Client, company: Company) -> None:
    page = logged_in(client, company.team.member).get(reverse("web:today"))
    assert page.status_code == 200
    html = page.content.decode()
    for action in company.mine:
        assert f'id="action-{action.pk}"' in html
        assert f'id="script-{action.pk}"' in html
        assert action.sponsor.name in html
    assert f'id="action-{company.others[0].pk}"' not in html, "a member sees only their own actions"
    assert 'data-copy="script-' in html


def test_scripts_come_in_english_and_french_and_each_channel(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.member)
    action = company.mine[0].pk

    def script(**params: str) -> str:
        html = c.get(reverse("web:today"), params).content.decode()
        found = re.search(rf'<textarea id="script-{action}"[^>]*>(.*?)</textarea>', html, re.S)
        assert found is not None, params
        return found[1]

    english = script(lang="en", channel="email")
    french = script(lang="fr", channel="email")
    assert "Subject:" in english and "Bonjour" in french and "Bonjour" not in english
    assert script(lang="en", channel="linkedin") != english


def test_a_manager_sees_their_team_and_an_admin_everyone(client: Client, company: Company) -> None:
    c = logged_in(client, company.team.manager)
    team = c.get(reverse("web:today")).content.decode()
    assert f'id="action-{company.mine[0].pk}"' in team and f'id="action-{company.others[0].pk}"' not in team
    asked = c.get(reverse("web:today"), {"scope": "everyone"}).content.decode()
    assert f'id="action-{company.others[0].pk}"' not in asked, "a manager's view stops at their team"
    everyone = logged_in(Client(), company.team.admin).get(reverse("web:today"), {"scope": "everyone"}).content
    assert f'id="ask-{company.others[0].pk}"'.encode() in everyone


def test_one_click_creates_the_referral_and_records_the_ask(client: Client, company: Company) -> None:
    action = company.mine[0]
    done = logged_in(client, company.team.member).post(
        reverse("web:ask", args=[action.pk]), {"channel": "email", "lang": "fr", "next": "/"}
    )
    assert done.status_code == 302
    # The newest referral of the pair: the demo may hold an older, closed one.
    referral = Referral.objects.filter(referrer_contact=action.sponsor, target_account=action.target_account).latest(
        "pk"
    )
    assert referral.stage == "requested" and referral.owner == company.team.member.teammate
    assert referral.script_key.endswith("/fr") and referral.channel == "email"
    ask = Ask.objects.get(referral=referral)
    assert ask.asked_by == company.team.member.teammate
    again = client.get(reverse("web:today")).content.decode()
    assert f"referral {referral.pk}" in again.lower(), "the action says it is under way"


def test_a_cap_refusal_is_shown_next_to_the_action_and_writes_nothing(client: Client, company: Company) -> None:
    from django.utils import timezone

    action = company.mine[0]
    for _ in range(2):  # the sponsor was already asked twice this quarter
        Ask.objects.create(contact=action.sponsor, account=action.sponsor_account, asked_at=timezone.now())
    referrals, asks = Referral.objects.count(), Ask.objects.count()
    refused = logged_in(client, company.team.member).post(reverse("web:ask", args=[action.pk]), {"next": "/"})
    assert refused.status_code == 403
    html = refused.content.decode()
    assert f'id="refusal-{action.pk}"' in html and "cap is 2" in html
    assert f'id="override-{action.pk}"' in html, "a cap may be overridden with a reason"
    assert (Referral.objects.count(), Ask.objects.count()) == (referrals, asks)
    forced = client.post(reverse("web:ask", args=[action.pk]), {"next": "/", "override_reason": "They offered"})
    assert forced.status_code == 302
    assert Ask.objects.filter(override_reason="They offered").count() == 1


def test_do_not_contact_is_refused_without_override(client: Client, company: Company) -> None:
    from referly.crm.models import Contact

    action = company.mine[0]
    Contact.objects.filter(pk=action.sponsor_id).update(do_not_contact=True)
    refused = logged_in(client, company.team.member).post(reverse("web:ask", args=[action.pk]))
    assert refused.status_code == 403
    assert f'id="override-{action.pk}"' not in refused.content.decode()
    assert not Referral.objects.filter(referrer_contact_id=action.sponsor_id, stage="requested").exists()


@pytest.mark.parametrize(("who", "status"), [("other", 404), ("viewer", 403)])
def test_others_cannot_ask_for_someone_elses_action(client: Client, company: Company, who: str, status: int) -> None:
    before = Referral.objects.count()
    refused = logged_in(client, getattr(company.team, who)).post(reverse("web:ask", args=[company.mine[0].pk]))
    assert refused.status_code == status
    assert Referral.objects.count() == before


def test_the_ask_only_takes_a_post(client: Client, company: Company) -> None:
    assert logged_in(client, company.team.member).get(reverse("web:ask", args=[company.mine[0].pk])).status_code == 405


def test_without_a_run_today_says_how_to_get_one(client: Client, team: Any) -> None:
    page = logged_in(client, team.member).get(reverse("web:today"))
    html = page.content.decode()
    assert page.status_code == 200 and "No scoring run yet" in html and "referly score" not in html
    assert reverse("web:setup") + "#readiness-actions" in html  # where Score now is


def test_today_and_the_board_take_a_bounded_number_of_queries(
    client: Client, company: Company, django_assert_max_num_queries: Any
) -> None:
    c = logged_in(client, company.team.admin)
    c.get(reverse("web:today"), {"scope": "everyone"})  # scripts rendered once are kept a few minutes
    with django_assert_max_num_queries(15):
        assert c.get(reverse("web:today"), {"scope": "everyone"}).status_code == 200
    with django_assert_max_num_queries(20):
        assert c.get(reverse("web:board"), {"scope": "everyone"}).status_code == 200
