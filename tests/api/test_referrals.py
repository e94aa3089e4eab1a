"""Referrals through the API: created, moved to won with version checks, refused moves, and their trail."""

from __future__ import annotations

from referly.crm.models import Opportunity
from referly.referrals.models import Referral, ReferralTransition
from tests.api.conftest import World, get, post
from tests.factories import make_account


def test_a_referral_goes_from_created_to_won_and_stale_or_forbidden_moves_are_refused(world: World) -> None:
    mo = world.team.member.token()
    make_account("Fresh Co", domain="fresh.example")  # no deal yet: the referral's deal is its own
    made = post("/referrals", mo, {"referrer": "sam@client.example", "target_account": "fresh.example"})
    assert made.status_code == 201, made.content
    referral = made.json()
    assert (referral["stage"], referral["version"], referral["owner_id"]) == (
        "identified",
        1,
        world.team.member.teammate.pk,
    )
    path = f"/referrals/{referral['id']}/transitions"

    skipped = post(path, mo, {"stage": "won", "expected_version": 1})
    assert skipped.status_code == 409 and skipped.json()["error"] == "conflict"
    assert "cannot go from identified to won" in skipped.json()["detail"]

    version = 1
    for stage, extra in [("requested", {}), ("introduced", {"consent": True}), ("meeting", {}), ("opportunity", {})]:
        moved = post(path, mo, {"stage": stage, "expected_version": version, "note": f"to {stage}", **extra})
        assert moved.status_code == 200, (stage, moved.content)
        assert moved.json()["version"] == version + 1
        stale = post(path, mo, {"stage": "withdrawn", "expected_version": version})
        assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
        version += 1

    won = post(path, mo, {"stage": "won", "expected_version": version})
    assert won.status_code == 200, won.content
    body = won.json()
    assert body["stage"] == "won" and body["attribution"] == "sourced"
    assert Opportunity.objects.get(pk=body["opportunity_id"]).stage == "won"
    trail = [(t["from_stage"], t["to_stage"]) for t in body["transitions"]]
    assert trail == [
        (None, "identified"),
        ("identified", "requested"),
        ("requested", "introduced"),
        ("introduced", "meeting"),
        ("meeting", "opportunity"),
        ("opportunity", "won"),
    ]
    assert body["transitions"][-1]["draft"], "a thank-you draft for the referrer"
    closed = post(path, mo, {"stage": "lost"})
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    shown = get(f"/referrals/{body['id']}", mo).json()
    assert shown["version"] == version + 1 and shown["credit_note"]


def test_an_introduction_without_consent_is_refused_and_nothing_moves(world: World) -> None:
    mo = world.team.member.token()
    path = f"/referrals/{world.referral.pk}/transitions"
    assert post(path, mo, {"stage": "requested"}).status_code == 200
    refused = post(path, mo, {"stage": "introduced"})
    assert refused.status_code == 409 and "opt-in" in refused.json()["detail"]
    assert Referral.objects.get(pk=world.referral.pk).stage == "requested"


def test_a_referral_from_an_action_takes_its_sponsor_target_owner_and_script(world: World) -> None:
    made = post("/referrals", world.team.manager.token(), {"action_id": world.action.pk, "lang": "fr"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["referrer_contact_id"] == world.sponsor.pk and body["target_contact_id"] == world.target.pk
    assert body["owner_id"] == world.team.member.teammate.pk and body["script_key"] == "email/renewal/fr"
    assert body["transitions"][0]["actor_id"] == world.team.manager.teammate.pk


def test_creating_refuses_bad_input_with_the_stable_error(world: World) -> None:
    mo = world.team.member.token()
    both = post("/referrals", mo, {"action_id": world.action.pk, "referrer": "sam@client.example"})
    assert both.status_code == 422 and both.json()["error"] == "invalid_input"
    unknown = post("/referrals", mo, {"referrer": "nobody@nowhere.example", "target_account": "other.example"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    same = post("/referrals", mo, {"referrer": "sam@client.example", "target_account": "client.example"})
    assert same.status_code == 422 and "another account" in same.json()["detail"]
    channel = post(
        "/referrals", mo, {"referrer": "sam@client.example", "target_account": "other.example", "channel": "fax"}
    )
    assert channel.status_code == 422 and channel.json()["detail"][0]["field"] == "channel"
    assert post(f"/referrals/{world.referral.pk}/transitions", mo, {"stage": "nowhere"}).status_code == 422


def test_lists_filter_and_reject_unknown_values(world: World) -> None:
    ada = world.team.admin.token()
    assert get("/referrals", ada, stage="identified").json()["count"] == 1
    assert get("/referrals", ada, stage="won").json()["count"] == 0
    assert get("/referrals", ada, owner=world.team.member.email).json()["count"] == 1
    assert get("/referrals", ada, referrer="SAM@client.example").json()["count"] == 1
    unknown = get("/referrals", ada, stage="someday")
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_input"
    assert get("/referrals", ada, limit=100000).status_code == 422
    assert get("/accounts", ada, lifecycle="client").json()["count"] == 1
    assert get("/accounts", ada, q="target").json()["items"][0]["name"] == "Target Co"
    assert get("/accounts", ada, lifecycle="alien").status_code == 422
    page = get("/accounts", ada, limit=1, offset=1).json()
    assert page["count"] == 3 and len(page["items"]) == 1


def test_transitions_keep_the_actor_in_the_audit_trail(world: World) -> None:
    post(
        f"/referrals/{world.referral.pk}/transitions", world.team.manager.token(), {"stage": "withdrawn", "note": "n/a"}
    )
    last = ReferralTransition.objects.filter(referral=world.referral).order_by("-id").first()
    assert last is not None and last.actor_id == world.team.manager.teammate.pk and last.note == "n/a"
