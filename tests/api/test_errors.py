"""Every error kind answers the same body: ``error`` and ``code`` to branch on, ``field`` to point at, ``detail``.

A client must never parse the sentence: these tests pin the code and the field of each kind of refusal.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from referly.referrals.ledger import record_ask
from tests.api.conftest import API, World, bearer, get, post


def error_of(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "code", "field", "detail"}
    return body


def test_no_token_is_not_authenticated(world: World) -> None:
    body = error_of(get("/referrals", None), 401)
    assert (body["error"], body["code"], body["field"]) == ("not_authenticated", "not_authenticated", None)


def test_a_read_token_writing_is_not_permitted(world: World) -> None:
    body = error_of(post("/referrals", world.team.member.token("read"), {"action_id": world.action.pk}), 403)
    assert (body["error"], body["code"]) == ("not_permitted", "not_permitted")


def test_a_referral_outside_ones_view_is_not_found_with_its_code(world: World) -> None:
    body = error_of(get(f"/referrals/{world.referral.pk}", world.team.other.token()), 404)
    assert (body["error"], body["code"], body["field"]) == ("not_found", "referral_not_found", None)
    action = error_of(get(f"/actions/{world.action.pk}", world.team.other.token()), 404)
    assert action["code"] == "action_not_found"


def test_an_unknown_referrer_names_its_field(world: World) -> None:
    body = error_of(
        post(
            "/referrals",
            world.team.member.token(),
            {"referrer": "x@nowhere.example", "target_account": "target.example"},
        ),
        404,
    )
    assert (body["code"], body["field"]) == ("unknown_contact", "referrer")


def test_stale_versions_forbidden_moves_and_missing_consent_are_conflicts_on_their_field(world: World) -> None:
    mo = world.team.member.token()
    path = f"/referrals/{world.referral.pk}/transitions"
    stale = error_of(post(path, mo, {"stage": "requested", "expected_version": 7}), 409)
    assert (stale["error"], stale["code"], stale["field"]) == ("conflict", "stale_version", "version")
    skipped = error_of(post(path, mo, {"stage": "won"}), 409)
    assert (skipped["code"], skipped["field"]) == ("forbidden_move", "stage")
    assert post(path, mo, {"stage": "requested"}).status_code == 200
    consent = error_of(post(path, mo, {"stage": "introduced"}), 409)
    assert (consent["code"], consent["field"]) == ("consent_required", "consent")


def test_an_ask_over_the_cap_points_at_the_override_reason(world: World) -> None:
    for _ in range(2):
        record_ask(world.sponsor.pk, asked_by=None, now=timezone.now())
    path = f"/referrals/{world.referral.pk}/transitions"
    body = error_of(post(path, world.team.member.token(), {"stage": "requested"}), 403)
    assert (body["error"], body["code"], body["field"]) == ("not_permitted", "ask_limited", "override_reason")
    assert (
        post(path, world.team.member.token(), {"stage": "requested", "override_reason": "They offered"}).status_code
        == 200
    )


def test_a_rule_of_the_service_names_its_field(world: World) -> None:
    mo = world.team.member.token()
    own = error_of(post("/referrals", mo, {"referrer": "sam@client.example", "target_account": "client.example"}), 422)
    assert (own["error"], own["code"], own["field"]) == ("invalid_input", "own_account", "target")


def test_a_body_off_its_schema_lists_the_fields_and_names_a_single_one(world: World) -> None:
    path = f"/referrals/{world.referral.pk}/transitions"
    one = error_of(post(path, world.team.member.token(), {"stage": "sideways"}), 422)
    assert (one["error"], one["code"], one["field"]) == ("invalid_input", "invalid_schema", "stage")
    assert [f["field"] for f in one["detail"]] == ["stage"]
    both = error_of(post(path, world.team.member.token(), {"stage": "sideways", "expected_version": -1}), 422)
    assert both["field"] is None and {f["field"] for f in both["detail"]} == {"stage", "expected_version"}


def test_refused_rows_of_a_bulk_push_have_their_code(world: World) -> None:
    rows = {
        "source_system": "cs",
        "rows": [{"account": "nowhere.example", "kind": "renewal", "occurred_on": "2026-10-01"}],
    }
    body = error_of(post("/signals", world.team.admin.token(), rows), 422)
    assert (body["error"], body["code"], body["field"]) == ("invalid_input", "rows_refused", None)
    assert [(p["row"], p["field"]) for p in body["detail"]] == [(0, "account")]


def test_a_body_that_is_not_json_is_invalid_input(world: World) -> None:
    answer = Client().post(
        API + "/referrals", "{not json", content_type="application/json", **bearer(world.team.member.token())
    )
    body = error_of(answer, 400)
    assert (body["error"], body["code"]) == ("invalid_input", "invalid_input")
