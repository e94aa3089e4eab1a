"""Who may call what: every endpoint of the OpenAPI document has a rule here, and each rule is checked for
every role, without a token, and (for writes) with a read-only token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse

from referly.api.main import api
from tests.api.conftest import API, World, bearer, get, post, upload

Call = Callable[[World, str | None], HttpResponse]
OK = "ok"
EVERYONE = {"admin": OK, "manager": OK, "member": OK, "other": OK, "viewer": OK}
MOS_RECORD = {"admin": OK, "manager": OK, "member": OK, "other": 404, "viewer": OK}  # Mo owns it; Olga cannot see it
ACT_ON_MOS = {"admin": OK, "manager": OK, "member": OK, "other": 404, "viewer": 403}
CREATE_FOR_MO = {"admin": OK, "manager": OK, "member": OK, "other": 403, "viewer": 403}
IMPORTERS = {"admin": OK, "manager": OK, "member": 403, "other": 403, "viewer": 403}
ONLY_MO = {"admin": 404, "manager": 404, "member": OK, "other": 404, "viewer": 404}  # one's own notifications only
ADMINS = {"admin": OK, "manager": 403, "member": 403, "other": 403, "viewer": 403}

SIGNAL_ROWS = {"rows": [{"account": "client.example", "kind": "renewal", "occurred_on": "2026-09-01"}]}
TOUCH_ROWS = {
    "rows": [
        {
            "teammate": "mo.member@northbeam.example",
            "contact": "sam@client.example",
            "kind": "call",
            "occurred_at": "2026-09-01T10:00:00Z",
        }
    ]
}
SIGNALS_CSV = b"account,kind,occurred_on\nclient.example,expansion,2026-08-01\n"


def referral_for_mo(w: World) -> dict[str, Any]:
    return {"referrer": w.sponsor.email, "target_account": "other.example", "owner": w.team.member.email}


RULES: dict[str, tuple[Call, dict[str, Any]]] = {
    "GET /actions": (lambda w, t: get("/actions", t), EVERYONE),
    "GET /actions/{action_id}": (lambda w, t: get(f"/actions/{w.action.pk}", t), MOS_RECORD),
    "GET /actions/{action_id}/script": (lambda w, t: get(f"/actions/{w.action.pk}/script", t), MOS_RECORD),
    "GET /accounts": (lambda w, t: get("/accounts", t), EVERYONE),
    "GET /accounts/{account_id}": (lambda w, t: get(f"/accounts/{w.client_account.pk}", t), EVERYONE),
    "GET /contacts": (lambda w, t: get("/contacts", t), EVERYONE),
    "GET /contacts/{contact_id}": (lambda w, t: get(f"/contacts/{w.sponsor.pk}", t), EVERYONE),
    "GET /signals": (lambda w, t: get("/signals", t), EVERYONE),
    "POST /signals": (lambda w, t: post("/signals", t, SIGNAL_ROWS), IMPORTERS),
    "GET /interactions": (lambda w, t: get("/interactions", t), EVERYONE),
    "POST /interactions": (lambda w, t: post("/interactions", t, TOUCH_ROWS), IMPORTERS),
    "GET /opportunities": (lambda w, t: get("/opportunities", t), EVERYONE),
    "GET /opportunities/{opportunity_id}": (
        lambda w, t: get(f"/opportunities/{_any_opportunity()}", t),
        EVERYONE,
    ),
    "GET /referrals": (lambda w, t: get("/referrals", t), EVERYONE),
    "POST /referrals": (lambda w, t: post("/referrals", t, referral_for_mo(w)), CREATE_FOR_MO),
    "GET /referrals/{referral_id}": (lambda w, t: get(f"/referrals/{w.referral.pk}", t), MOS_RECORD),
    "POST /referrals/{referral_id}/transitions": (
        lambda w, t: post(f"/referrals/{w.referral.pk}/transitions", t, {"stage": "requested"}),
        ACT_ON_MOS,
    ),
    "GET /referrals/{referral_id}/script": (lambda w, t: get(f"/referrals/{w.referral.pk}/script", t), MOS_RECORD),
    "GET /metrics": (lambda w, t: get("/metrics", t), EVERYONE),
    "GET /metrics/slugs": (lambda w, t: get("/metrics/slugs", t), EVERYONE),
    "POST /imports": (
        lambda w, t: upload("/imports", t, "signals.csv", SIGNALS_CSV, kind="signals", dry_run="true"),
        IMPORTERS,
    ),
    "GET /webhooks": (lambda w, t: get("/webhooks", t), ADMINS),
    "GET /tables": (lambda w, t: get("/tables", t), IMPORTERS),  # every owner's records: not for members
    "GET /tables/{name}": (lambda w, t: get("/tables/contacts", t, limit=5), IMPORTERS),
    "POST /webhooks": (lambda w, t: post("/webhooks", t, WEBHOOK), ADMINS),
    "DELETE /webhooks/{subscription_id}": (lambda w, t: delete(f"/webhooks/{_a_webhook()}", t), ADMINS),
    "GET /webhooks/{subscription_id}/deliveries": (
        lambda w, t: get(f"/webhooks/{_a_webhook()}/deliveries", t),
        ADMINS,
    ),
    "GET /outbox": (lambda w, t: get("/outbox", t), EVERYONE),
    "GET /outbox/{message_id}": (lambda w, t: get(f"/outbox/{_a_message_for_mo(w)}", t), MOS_RECORD),
    "POST /outbox": (lambda w, t: post("/outbox", t, {"action_id": w.action.pk}), ACT_ON_MOS),
    "GET /notifications": (lambda w, t: get("/notifications", t), EVERYONE),
    "POST /notifications/read": (lambda w, t: post("/notifications/read", t, {}), EVERYONE),
    "POST /notifications/{notice_id}/read": (
        lambda w, t: post(f"/notifications/{_a_notice_for_mo(w)}/read", t, {}),
        ONLY_MO,
    ),
}
WEBHOOK = {"url": "https://hooks.example.com/referly", "events": ["referral.won"]}


def _a_webhook() -> int:
    from django.utils import timezone

    from referly.connect.models import Subscription

    made = Subscription.objects.create(
        url=WEBHOOK["url"], events=["referral.won"], secret="whsec_", created_at=timezone.now()
    )
    return made.pk


def _a_message_for_mo(w: World) -> int:
    from django.utils import timezone

    from referly.outbox.models import OutboxMessage

    made = OutboxMessage.objects.create(
        owner_id=w.referral.owner_id,
        referral=w.referral,
        contact=w.sponsor,
        from_address=w.team.member.email,
        to_address=w.sponsor.email or "sponsor@client.example",
        subject="An introduction?",
        text="Hello",
        message_id="<authz@northbeam.example>",
        created_at=timezone.now(),
    )
    return made.pk


def _a_notice_for_mo(w: World) -> int:
    from django.utils import timezone

    from referly.notices.services import notify

    return notify(w.referral.owner, "reply", "Sam replied", "/outbox/1/", "outbox:1", timezone.now()).pk


def delete(path: str, token: str | None) -> HttpResponse:
    from django.test import Client

    return Client().delete(API + path, **bearer(token))


def _any_opportunity() -> int:
    from referly.crm.models import Opportunity

    return int(Opportunity.objects.values_list("pk", flat=True).first() or 0)


def documented() -> set[str]:
    paths = api.get_openapi_schema()["paths"]
    prefix = API
    return {f"{method.upper()} {path.removeprefix(prefix)}" for path, ops in paths.items() for method in ops}


def isolated(call: Call, w: World, token: str | None) -> HttpResponse:
    """The call, with anything it writes rolled back, so every role meets the same records."""
    with transaction.atomic():
        response = call(w, token)
        transaction.set_rollback(True)
    return response


@pytest.fixture(autouse=True)
def webhooks_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")  # no name resolves on a machine without a network


def test_every_documented_endpoint_has_a_rule_and_every_rule_an_endpoint() -> None:
    assert documented() == set(RULES)


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_each_role_is_allowed_or_refused_as_its_rules_say(endpoint: str, world: World) -> None:
    call, expected = RULES[endpoint]
    anonymous = isolated(call, world, None)
    assert anonymous.status_code == 401, anonymous.content
    assert anonymous.json()["error"] == "not_authenticated"
    for role, outcome in expected.items():
        login = getattr(world.team, role)
        response = isolated(call, world, login.token("write"))
        if outcome == OK:
            assert 200 <= response.status_code < 300, (role, response.status_code, response.content)
        else:
            assert response.status_code == outcome, (role, response.content)
            assert response.json()["error"] == ("not_found" if outcome == 404 else "not_permitted")


@pytest.mark.parametrize("endpoint", sorted(e for e in RULES if e.startswith("POST")))
def test_a_read_token_never_writes(endpoint: str, world: World) -> None:
    call, _ = RULES[endpoint]
    for login in (world.team.admin, world.team.manager, world.team.member):
        response = isolated(call, world, login.token("read"))
        assert response.status_code == 403, (login.role, response.content)
        assert response.json()["error"] == "not_permitted"


def test_a_member_guessing_another_members_referral_id_finds_nothing(world: World) -> None:
    olga = world.team.other.token("write")
    mine = get(f"/referrals/{world.referral.pk}", olga)
    missing = get("/referrals/987654", olga)
    assert mine.status_code == missing.status_code == 404
    assert mine.json()["error"] == missing.json()["error"] == "not_found"
    assert get("/referrals", olga).json()["count"] == 0


def test_the_dashboard_session_works_too(world: World) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.team.member.user)
    assert client.get(f"{API}/referrals/{world.referral.pk}").status_code == 200
