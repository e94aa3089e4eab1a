"""Bulk pushes, imports and idempotency keys: all or nothing, every refused row named."""

from __future__ import annotations

from referly.api.models import IdempotentRequest
from referly.crm.models import Interaction, Signal
from referly.referrals.models import Referral
from tests.api.conftest import World, post, upload


def rows(*extra: dict[str, object]) -> dict[str, object]:
    good = {
        "account": "client.example",
        "contact": "sam@client.example",
        "kind": "nps",
        "nps_score": 9,
        "occurred_on": "2026-09-01",
    }
    return {"source_system": "hubspot", "rows": [good, *extra]}


def test_bulk_signals_write_every_row_or_none_and_name_the_bad_ones(world: World) -> None:
    ada = world.team.admin.token()
    before = Signal.objects.count()
    bad = rows(
        {"account": "client.example", "kind": "renewal", "occurred_on": "2026-09-02"},
        {"account": "client.example", "kind": "nps", "occurred_on": "2026-09-03"},
        {"account": "nowhere.example", "kind": "renewal", "occurred_on": "2026-09-04"},
    )
    refused = post("/signals", ada, bad)
    assert refused.status_code == 422, refused.content
    body = refused.json()
    assert body["error"] == "invalid_input"
    assert [(p["row"], p["field"]) for p in body["detail"]] == [(2, "nps_score"), (3, "account")]
    assert "NPS answer needs its score" in body["detail"][0]["reason"]
    assert "matches no account" in body["detail"][1]["reason"]
    assert Signal.objects.count() == before

    written = post(
        "/signals",
        ada,
        rows({"account": "Client Co", "kind": "case_study", "occurred_on": "2026-09-05", "external_id": "cs-1"}),
    )
    assert written.status_code == 200, written.content
    assert written.json() == {"created": 2, "updated": 0, "unchanged": 0, "duplicates": 0}
    again = post(
        "/signals",
        ada,
        rows({"account": "client.example", "kind": "case_study", "occurred_on": "2026-09-06", "external_id": "cs-1"}),
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1, "duplicates": 0}
    assert Signal.objects.get(external_id="cs-1", source_system="hubspot").occurred_on.day == 6


def test_bulk_interactions_skip_known_touches_and_refuse_unknown_people(world: World) -> None:
    maya = world.team.manager.token()
    touch = {
        "teammate": world.team.member.email,
        "contact": "sam@client.example",
        "kind": "meeting",
        "occurred_at": "2026-09-01T10:00:00Z",
    }
    first = post("/interactions", maya, {"rows": [touch, {**touch, "kind": "call"}]})
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "duplicates": 0}
    assert post("/interactions", maya, {"rows": [touch]}).json()["unchanged"] == 1
    bad = post(
        "/interactions",
        maya,
        {
            "rows": [
                {**touch, "kind": "email_in"},
                {**touch, "contact": "ghost@x.example"},
                {**touch, "kind": "telepathy"},
            ]
        },
    )
    assert bad.status_code == 422
    assert [(p["row"], p["field"]) for p in bad.json()["detail"]] == [(1, "contact"), (2, "kind")]
    assert Interaction.objects.count() == 2


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(world: World) -> None:
    mo = world.team.member.token()
    body = {"referrer": "sam@client.example", "target_account": "other.example"}
    first = post("/referrals", mo, body, key="create-42")
    replay = post("/referrals", mo, body, key="create-42")
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    assert Referral.objects.filter(target_account__domain="other.example").count() == 1
    other = post("/referrals", mo, {**body, "channel": "linkedin"}, key="create-42")
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    assert Referral.objects.filter(target_account__domain="other.example").count() == 1
    # keys belong to their user: the same key from someone else is a new request
    assert (
        post(
            "/referrals", world.team.admin.token(), {**body, "owner": world.team.admin.email}, key="create-42"
        ).status_code
        == 201
    )
    assert IdempotentRequest.objects.count() == 2


def test_a_refused_request_stores_no_answer_so_it_can_be_retried(world: World) -> None:
    ada = world.team.admin.token()
    bad = {"rows": [{"account": "nowhere.example", "kind": "renewal", "occurred_on": "2026-09-01"}]}
    assert post("/signals", ada, bad, key="k1").status_code == 422
    assert not IdempotentRequest.objects.exists()
    good = {"rows": [{"account": "client.example", "kind": "renewal", "occurred_on": "2026-09-01"}]}
    assert post("/signals", ada, good, key="k1").status_code == 200
    assert post("/signals", ada, good, key="k1").json()["created"] == 1  # replayed, not written again
    assert Signal.objects.filter(kind="renewal", occurred_on="2026-09-01").count() == 1


CSV = (
    b"account,kind,occurred_on,nps_score\n"
    b"client.example,nps,2026-08-01,10\n"
    b"client.example,nps,2026-08-02,\n"
    b"nowhere.example,renewal,2026-08-03,\n"
    b"target.example,expansion,not a date,\n"
)


def test_an_import_dry_run_writes_nothing_and_reports_the_bad_rows(world: World) -> None:
    maya = world.team.manager.token()
    before = Signal.objects.count()
    report = upload("/imports", maya, "signals.csv", CSV, kind="signals", dry_run="true")
    assert report.status_code == 200, report.content
    body = report.json()
    assert body["written"] is False and body["dry_run"] is True
    assert body["files"][0]["created"] == 1 and body["files"][0]["rejected"] == 3
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "nps_score"), (4, "account"), (5, "occurred_on")]
    assert Signal.objects.count() == before

    done = upload("/imports", maya, "signals.csv", CSV, kind="signals")
    assert done.json()["written"] is True and Signal.objects.count() == before + 1
    strict = upload("/imports", maya, "signals.csv", CSV, kind="signals", strict="true")
    assert strict.json()["written"] is False


def test_an_import_refuses_unknown_kinds_presets_and_files(world: World) -> None:
    ada = world.team.admin.token()
    assert upload("/imports", ada, "x.csv", CSV, kind="gossip").status_code == 422
    assert upload("/imports", ada, "x.csv", CSV, kind="signals", preset="nope").status_code == 422
    exe = upload("/imports", ada, "x.exe", b"MZ", kind="signals")
    assert exe.status_code == 422 and "not a file Referly reads" in exe.json()["detail"]
    empty = upload("/imports", ada, "x.csv", b"", kind="signals")
    assert empty.status_code == 422 and empty.json()["error"] == "invalid_input"


def test_a_time_filter_with_any_offset_is_read_in_utc(world: World) -> None:
    from tests.api.conftest import get

    maya = world.team.manager.token()
    touch = {"teammate": world.team.member.email, "contact": "sam@client.example", "kind": "call"}
    post("/interactions", maya, {"rows": [{**touch, "occurred_at": "2026-09-01T10:00:00Z"}]})
    # +19:34 is a valid ISO offset PostgreSQL cannot store: 2026-09-01T23:00+19:34 is 03:26 UTC
    after = get("/interactions", maya, since="2026-09-01T23:00:00+19:34")
    assert after.status_code == 200 and after.json()["count"] == 1
    later = get("/interactions", maya, since="2026-09-02T06:00:00+19:34")
    assert later.status_code == 200 and later.json()["count"] == 0
