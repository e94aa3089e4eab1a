"""Every URL of the dashboard has an access rule, and every rule holds for every role.

The rules are listed by URL name; a new page without a rule fails the first test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from referly.referrals import services
from tests.web.conftest import Company, logged_in

EVERYONE = ("admin", "manager", "member", "other", "viewer")
OPEN = {"web:login", "web:login_code", "web:logout"}


def web_url_names() -> set[str]:
    resolver = get_resolver()
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if getattr(entry, "namespace", None) == "web":
            names |= {f"web:{p.name}" for p in entry.url_patterns if isinstance(p, URLPattern) and p.name}
    return names


def rules(company: Company) -> dict[str, tuple[str, list[Any], dict[str, int]]]:
    """URL name → (method, arguments, status per persona). Mo owns the referral and the first action."""
    from django.utils import timezone

    mine = services.create_from_action(company.mine[0].pk, None, timezone.now())
    account = company.mine[0].target_account_id
    read = dict.fromkeys(EVERYONE, 200)
    return {
        "web:today": ("get", [], read),
        "web:board": ("get", [], read),
        "web:sponsors": ("get", [], read),
        "web:setup": ("get", [], read),
        "web:score_now": ("post", [], {"member": 403, "other": 403, "viewer": 403}),
        "web:accounts": ("get", [], read),
        "web:account": ("get", [account], read),
        "web:reports": ("get", [], read),
        "web:tables_download": ("get", [], {"admin": 200, "manager": 200, "member": 403, "other": 403, "viewer": 403}),
        "web:reviews": ("get", [], read),
        "web:review": ("get", ["2026-10"], dict.fromkeys(EVERYONE, 404)),  # nothing frozen yet: said, not a crash
        "web:review_export": ("get", ["2026-10", "html"], dict.fromkeys(EVERYONE, 404)),
        "web:referral": ("get", [mine.pk], {"admin": 200, "manager": 200, "member": 200, "other": 404, "viewer": 200}),
        "web:import": ("get", [], {"admin": 200, "manager": 200, "member": 403, "other": 403, "viewer": 403}),
        "web:import_refused": ("get", [], {"admin": 404, "manager": 404, "member": 403, "other": 403, "viewer": 403}),
        "web:settings": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        # writes: an empty form is refused as invalid (4xx) where allowed; never done by the others
        "web:ask": ("post", [company.mine[0].pk], {"other": 404, "viewer": 403}),
        "web:advance": ("post", [mine.pk], {"other": 404, "viewer": 403}),
        "web:freeze": ("post", [], {"member": 403, "other": 403, "viewer": 403}),
        "web:import_commit": ("post", [], {"member": 403, "other": 403, "viewer": 403}),
        "web:scoring": ("post", [], {"manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:change_role": ("post", [1], {"manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:revoke_token": ("post", [1], {"manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:sponsor_link": ("post", [company.mine[0].sponsor_id], {"other": 302, "viewer": 403}),
        "web:sponsor_link_revoke": ("post", [company.mine[0].sponsor_id], {"viewer": 403}),
        "web:sources": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:source_add_imap": ("post", [], {"admin": 422, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:source_add_caldav": (
            "post",
            [],
            {"admin": 422, "manager": 403, "member": 403, "other": 403, "viewer": 403},
        ),
        "web:source_sync": ("post", [1], {"admin": 404, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:source_remove": ("post", [1], {"admin": 404, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:rates": ("get", [], {"admin": 200, "manager": 200, "member": 403, "other": 403, "viewer": 403}),
        "web:rates_upload": ("post", [], {"admin": 422, "manager": 422, "member": 403, "other": 403, "viewer": 403}),
        "web:audit": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:audit_export": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:webhooks": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:webhook_add": ("post", [], {"admin": 422, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:webhook_remove": ("post", [1], {"admin": 404, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:webhook_test": ("post", [1], {"admin": 404, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:webhook_redeliver": ("post", [1], {"manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:send_action": ("get", [company.mine[1].pk], {**read, "other": 404, "viewer": 403}),
        "web:send_referral": ("get", [mine.pk], {**read, "other": 404, "viewer": 403}),
        "web:outbox": ("get", [], read),
        "web:outbox_message": ("get", [999_999], dict.fromkeys(EVERYONE, 404)),
        "web:outbox_approve": ("post", [999_999], {**dict.fromkeys(EVERYONE, 404), "viewer": 403}),
        "web:outbox_discard": ("post", [999_999], {**dict.fromkeys(EVERYONE, 404), "viewer": 403}),
        "web:outbox_resolve": ("post", [999_999], {**dict.fromkeys(EVERYONE, 404), "viewer": 403}),
        "web:notices": ("get", [], read),
        "web:notice_read": ("post", [999_999], dict.fromkeys(EVERYONE, 404)),  # one's own only: others' are unknown
        "web:notices_read_all": ("post", [], dict.fromkeys(EVERYONE, 302)),
        "web:mail_settings": ("get", [], read),
        "web:digest_save": ("post", [], dict.fromkeys(EVERYONE, 422)),  # an empty form: no hour
        "web:smtp_test": ("post", [], {"admin": 503, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:two_factor": ("get", [], read),  # one's own second factor: every login
        "web:two_factor_confirm": ("post", [], dict.fromkeys(EVERYONE, 422)),  # an empty code for the app just shown
        "web:two_factor_recovery": ("post", [], dict.fromkeys(EVERYONE, 422)),  # an empty code
        "web:two_factor_disable": ("post", [], dict.fromkeys(EVERYONE, 409)),  # not on
        "web:team": ("get", [], {"admin": 200, "manager": 403, "member": 403, "other": 403, "viewer": 403}),
        "web:team_email": ("post", [999_999], {"admin": 404, "manager": 403, "member": 403, "viewer": 403}),
        "web:team_login": ("post", [999_999], {"admin": 404, "manager": 403, "member": 403, "viewer": 403}),
        "web:team_link": ("post", [999_999], {"admin": 404, "manager": 403, "member": 403, "viewer": 403}),
        "web:team_role": ("post", [999_999], {"admin": 404, "manager": 403, "member": 403, "viewer": 403}),
    }


def test_every_url_has_a_rule(company: Company) -> None:
    assert web_url_names() - OPEN == set(rules(company))


def test_every_rule_holds_for_every_role(company: Company) -> None:
    for name, (method, args, expected) in rules(company).items():
        for who, status in expected.items():
            client = logged_in(Client(), getattr(company.team, who))
            answer = getattr(client, method)(reverse(name, args=args))
            assert answer.status_code == status, (name, who, answer.status_code)


@pytest.mark.parametrize("method", ["get", "post"])
def test_nobody_anonymous_gets_past_the_login(company: Company, method: str) -> None:
    for name, (_, args, _expected) in rules(company).items():
        answer = getattr(Client(), method)(reverse(name, args=args))
        assert answer.status_code in (302, 405), (name, answer.status_code)  # 405: a GET of a form's target
        if answer.status_code == 302:
            assert answer["Location"].startswith(reverse("web:login")), name
